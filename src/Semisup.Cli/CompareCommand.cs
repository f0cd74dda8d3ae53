using System.CommandLine;
using Semisup.Reports;
using Semisup.Training;
using Semisup.Recipes;
using Semisup.Runs;

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
            var locate = DataCommands.Locator(parse, cancel);
            string? png = parse.GetValue(plot);
            if (toTrain.Count > 0)
            {
                var root = parse.GetValue(outDir) ?? Path.Combine("runs", $"compare-{DateTime.Now:yyyyMMdd-HHmmss}");
                var plan = Comparison.Plan(toTrain, root, overrides.Of(parse));
                foreach (var r in plan)
                {
                    var runDir = Path.Combine(root, r.Name);
                    if (new RunDirectory(runDir).IsFinished) Console.WriteLine($"{runDir}: finished earlier, reused");
                    else if (await TrainCommand.TrainAsync(r, runDir, File.Exists(new RunDirectory(runDir).LastPath), locate, cancel) is int code and not 0) return code;
                    dirs.Add(runDir);
                }
                png ??= Path.Combine(root, "validation.png");
            }
            var rows = await Comparison.ReadAsync(dirs, locate);
            Console.WriteLine();
            foreach (var line in ComparisonTable.Lines(rows, parse.GetValue(target))) Console.WriteLine(line);
            if (png != null)
            {
                var labels = ComparisonTable.RunLabels(rows.Select(r => (r.Dir, r.Recipe.Data.Seed)).ToList());
                Plots.ValidationCurves(png, labels.Zip(rows, (label, r) => (label, r.Metrics)).ToList(), "validation accuracy");
                Console.WriteLine($"\nplot: {png}");
            }
            return 0;
        });
        return cmd;
    }
}
