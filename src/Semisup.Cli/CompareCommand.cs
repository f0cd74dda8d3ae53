using System.CommandLine;
using System.Globalization;
using Semisup.Data;
using Semisup.Reports;
using Semisup.Training;

namespace Semisup.Cli;

static class CompareCommand
{
    public static Command Create()
    {
        var runs = new Argument<string[]>("runs") { Description = "Finished run directories.", Arity = ArgumentArity.OneOrMore };
        var plot = new Option<string?>("--plot") { Description = "Also draw every run's validation curve on one plot (PNG)." };
        var cmd = new Command("compare", "One Markdown table of finished runs (best validation, test accuracy of the best-on-validation checkpoint, epochs, wall time), with mean ± std per recipe.")
            { runs, plot, DataCommands.DataDir };
        cmd.SetAction(async (parse, cancel) =>
        {
            var rows = new List<(string Dir, Recipe Recipe, CheckpointHeader Best, double Test, IReadOnlyList<EpochMetrics> Metrics)>();
            var store = new DatasetStore(DataOptions.FromEnvironment(parse.GetValue(DataCommands.DataDir)));
            var testSets = new Dictionary<string, ImageSet>();
            try
            {
                foreach (var dir in parse.GetValue(runs)!)
                {
                    var best = Path.Combine(dir, Trainer.BestCheckpoint);
                    if (!File.Exists(best)) throw new SemisupException($"{dir}: no {Trainer.BestCheckpoint}; is it a finished run directory?");
                    var (model, header, _) = Checkpoint.Load(best);
                    using var _m = model;
                    var ds = Datasets.Get(header.Recipe.Dataset);
                    if (!testSets.TryGetValue(ds.Name, out var test))
                    {
                        var files = DatasetFiles.Read(await ConsoleProgress.FetchAsync(p => store.LocateAsync(ds, p, Console.Error.WriteLine, cancel)), ds);
                        testSets[ds.Name] = test = ImageSet.From(files.TestImages, files.TestLabels, $"{ds.Name} test");
                    }
                    // The same checkpoint and data as the run's own final report: the same number, not a new selection.
                    var accuracy = Evaluator.Evaluate(model, test, header.Recipe.EvalBatch).Accuracy;
                    rows.Add((dir, header.Recipe, header, accuracy, Trainer.ReadMetrics(dir)));
                }
            }
            finally { foreach (var t in testSets.Values) t.Dispose(); }

            string P(double v) => (100 * v).ToString("F2", CultureInfo.InvariantCulture) + "%";
            Console.WriteLine("| run | recipe | method | labels | seed | epochs | best validation (epoch) | test | wall time |");
            Console.WriteLine("|---|---|---|---|---|---|---|---|---|");
            foreach (var r in rows)
                Console.WriteLine($"| {Path.GetFileName(Path.TrimEndingDirectorySeparator(r.Dir))} | {r.Recipe.Name} | {r.Recipe.Method} | {(r.Recipe.Labels < 0 ? "all" : r.Recipe.Labels)} | {r.Recipe.Seed} | " +
                    $"{r.Metrics.Count} | {P(r.Best.State.BestValidationAccuracy)} ({r.Best.State.BestEpoch}) | {P(r.Test)} | {TimeSpan.FromSeconds(r.Metrics.Count > 0 ? r.Metrics[^1].WallSeconds : 0):hh\\:mm\\:ss} |");
            // Runs of one recipe differing only in seed (and thread count) are repetitions of one experiment.
            foreach (var group in rows.GroupBy(r => r.Recipe with { Seed = 0, Threads = 0 }).Where(g => g.Count() > 1))
            {
                static (double Mean, double Std) Stats(IEnumerable<double> xs)
                {
                    var a = xs.ToArray();
                    double mean = a.Average();
                    return (mean, Math.Sqrt(a.Sum(x => (x - mean) * (x - mean)) / (a.Length - 1)));
                }
                var (tm, ts) = Stats(group.Select(r => r.Test));
                var (vm, vs) = Stats(group.Select(r => r.Best.State.BestValidationAccuracy));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| **{group.Key.Name}: mean ± std of {group.Count()} seeds** | | | | | | {100 * vm:F2} ± {100 * vs:F2}% | **{100 * tm:F2} ± {100 * ts:F2}%** | |"));
            }
            if (parse.GetValue(plot) is { } png)
            {
                Plots.ValidationCurves(png, rows.Select(r => (Path.GetFileName(Path.TrimEndingDirectorySeparator(r.Dir)), r.Metrics)).ToList(), "validation accuracy");
                Console.WriteLine($"\nplot: {png}");
            }
            return 0;
        });
        return cmd;
    }
}
