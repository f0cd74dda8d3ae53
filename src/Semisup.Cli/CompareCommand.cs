using System.CommandLine;
using System.Globalization;
using Semisup.Data;
using Semisup.Reports;
using Semisup.Training;

namespace Semisup.Cli;

public static class CompareCommand
{
    public static Command Create()
    {
        var runs = new Argument<string[]>("runs") { Description = "Finished run directories.", Arity = ArgumentArity.ZeroOrMore };
        var recipes = new Option<string[]>("--recipes") { Description = "Train these recipes (comma-separated names or paths) into --out/NAME first; finished runs are reused, interrupted ones resumed.", AllowMultipleArgumentsPerToken = true };
        var outDir = new Option<string?>("--out", "-o") { Description = "Where --recipes runs go (default runs/compare-TIMESTAMP)." };
        var overrides = new RecipeOverrides(); // applied to every --recipes run
        var target = new Option<double>("--target") { Description = "Validation accuracy for the epochs-to-accuracy column.", DefaultValueFactory = _ => 0.98 };
        var plot = new Option<string?>("--plot") { Description = "Also draw every run's validation curve on one plot (PNG); with --recipes, OUT/validation.png by default." };
        var cmd = new Command("compare", "Train recipes side by side and/or compare finished runs: one Markdown table (best validation, test accuracy of the best-on-validation checkpoint, epochs to a target accuracy, wall time), mean ± std per recipe, and their validation curves on one plot.")
            { runs, recipes, outDir, target, plot, DataCommands.DataDir };
        overrides.AddTo(cmd);
        cmd.SetAction(async (parse, cancel) =>
        {
            var dirs = parse.GetValue(runs)!.ToList();
            var toTrain = (parse.GetValue(recipes) ?? []).SelectMany(r => r.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList();
            if (dirs.Count == 0 && toTrain.Count == 0) throw new SemisupException("Give finished run directories, or --recipes to train.");
            string? png = parse.GetValue(plot);
            if (toTrain.Count > 0)
            {
                var root = parse.GetValue(outDir) ?? Path.Combine("runs", $"compare-{DateTime.Now:yyyyMMdd-HHmmss}");
                // Load every recipe before training any, so a typo fails in a second, not after the first run.
                var loaded = toTrain.Select(name => overrides.Apply(parse, Recipe.Load(name)).Validate()).ToList();
                // Reusing or resuming a run of other settings (another seed, labels or epochs) would report it as this one.
                foreach (var r in loaded)
                {
                    var recorded = Path.Combine(root, r.Name, Trainer.RecipeFile);
                    if (File.Exists(recorded) && Recipe.Read(recorded).ToJson() != r.ToJson())
                        throw new SemisupException($"{Path.Combine(root, r.Name)} holds a run of {r.Name} with other settings than asked (see its {Trainer.RecipeFile}); give another --out.");
                }
                foreach (var r in loaded)
                {
                    var runDir = Path.Combine(root, r.Name);
                    bool finished = File.Exists(Path.Combine(runDir, RunReport.SummaryFile));
                    if (!finished)
                    {
                        bool resuming = File.Exists(Path.Combine(runDir, Trainer.LastCheckpoint));
                        int code = await TrainCommand.TrainAsync(r, runDir, resuming, parse.GetValue(DataCommands.DataDir), cancel);
                        if (code != 0) return code;
                    }
                    else Console.WriteLine($"{runDir}: finished earlier, reused");
                    dirs.Add(runDir);
                }
                png ??= Path.Combine(root, "validation.png");
            }

            var rows = new List<(string Dir, Recipe Recipe, CheckpointHeader Best, double Test, IReadOnlyList<EpochMetrics> Metrics)>();
            var store = new DatasetStore(DataOptions.FromEnvironment(parse.GetValue(DataCommands.DataDir)));
            var testSets = new Dictionary<string, ImageSet>();
            try
            {
                foreach (var dir in dirs)
                {
                    var best = Path.Combine(dir, Trainer.BestCheckpoint);
                    if (!File.Exists(best)) throw new SemisupException($"{dir}: no {Trainer.BestCheckpoint}; is it a finished run directory?");
                    var (model, header) = Checkpoint.Load(best);
                    using var _m = model;
                    var ds = Datasets.Get(header.Recipe.Dataset);
                    if (!testSets.TryGetValue(ds.Name, out var test))
                    {
                        var files = DatasetFiles.Read(await ConsoleProgress.FetchAsync(p => store.LocateAsync(ds, p, Console.Error.WriteLine, cancel)), ds);
                        testSets[ds.Name] = test = ImageSet.From(files.TestImages, files.TestLabels, $"{ds.Name} test");
                    }
                    // The same checkpoint and data as the run's own final report: the same number, not a new selection.
                    var accuracy = Evaluator.Score(model, test, header.Recipe.EvalBatch).Accuracy;
                    rows.Add((dir, header.Recipe, header, accuracy, Trainer.ReadMetrics(dir)));
                }
            }
            finally { foreach (var t in testSets.Values) t.Dispose(); }

            string P(double v) => (100 * v).ToString("F2", CultureInfo.InvariantCulture) + "%";
            double goal = parse.GetValue(target);
            string Reached(IReadOnlyList<EpochMetrics> metrics)
            {
                var first = metrics.FirstOrDefault(m => m.ValidationAccuracy >= goal);
                return first == null ? "not reached" : $"{first.Epoch} ({TimeSpan.FromSeconds(first.WallSeconds):hh\\:mm\\:ss})";
            }
            Console.WriteLine($"\n| run | recipe | method | optimizer | labels | seed | epochs | best validation (epoch) | test | epochs to {P(goal)} validation (time) | wall time |");
            Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|");
            var labels = RunLabels(rows.Select(r => (r.Dir, r.Recipe.Seed)).ToList());
            foreach (var (r, label) in rows.Zip(labels))
                Console.WriteLine($"| {label} | {r.Recipe.Name} | {r.Recipe.Method} | {r.Recipe.Optimizer} | {(r.Recipe.Labels < 0 ? "all" : r.Recipe.Labels)} | {r.Recipe.Seed} | " +
                    $"{r.Metrics.Count} | {P(r.Best.State.BestValidationAccuracy)} ({r.Best.State.BestEpoch}) | {P(r.Test)} | {Reached(r.Metrics)} | {TimeSpan.FromSeconds(r.Metrics.Count > 0 ? r.Metrics[^1].WallSeconds : 0):hh\\:mm\\:ss} |");
            // Runs of one recipe differing only in seed (and thread count) are repetitions of one experiment.
            foreach (var group in rows.GroupBy(r => (r.Recipe with { Seed = 0, Threads = 0 }).ToJson()).Where(g => g.Count() > 1))
            {
                static (double Mean, double Std) Stats(IEnumerable<double> xs)
                {
                    var a = xs.ToArray();
                    double mean = a.Average();
                    return (mean, Math.Sqrt(a.Sum(x => (x - mean) * (x - mean)) / (a.Length - 1)));
                }
                var (tm, ts) = Stats(group.Select(r => r.Test));
                var (vm, vs) = Stats(group.Select(r => r.Best.State.BestValidationAccuracy));
                // A seed given twice is one experiment run twice, not two: say so rather than count it as a seed.
                int seeds = group.Select(r => r.Recipe.Seed).Distinct().Count();
                var of = seeds == group.Count() ? $"{seeds} seeds" : $"{group.Count()} runs of {seeds} seed{(seeds == 1 ? "" : "s")}";
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| **{group.First().Recipe.Name}: mean ± std of {of}** | | | | | | | {100 * vm:F2} ± {100 * vs:F2}% | **{100 * tm:F2} ± {100 * ts:F2}%** | | |"));
            }
            if (png != null)
            {
                Plots.ValidationCurves(png, labels.Zip(rows, (label, r) => (label, r.Metrics)).ToList(), "validation accuracy");
                Console.WriteLine($"\nplot: {png}");
            }
            return 0;
        });
        return cmd;
    }

    /// <summary>A run's name in tables and plots: its directory's name, with the seed when several runs share that
    /// name (runs/100-labels-s1/ladder-100, runs/100-labels-s2/ladder-100, ...).</summary>
    public static IReadOnlyList<string> RunLabels(IReadOnlyList<(string Dir, ulong Seed)> runs)
    {
        var names = runs.Select(r => Path.GetFileName(Path.TrimEndingDirectorySeparator(r.Dir))).ToList();
        return names.Select((n, i) => names.Count(m => m == n) > 1 ? $"{n} (seed {runs[i].Seed})" : n).ToList();
    }
}
