using System.CommandLine;
using Semisup.Data;
using Semisup.Reports;
using Semisup.Runs;

namespace Semisup.Cli;

public static class CompareCommand
{
    static readonly Argument<string[]> Dirs = new("runs") { Description = "Finished run directories.", Arity = ArgumentArity.ZeroOrMore };
    static readonly Option<string[]> Recipes = new("--recipes") { Description = "Train these recipes (comma-separated names or paths) into --out/NAME first; finished runs are reused, interrupted ones resumed.", AllowMultipleArgumentsPerToken = true };
    static readonly Option<string?> OutDir = new("--out", "-o") { Description = "Where --recipes runs go (default runs/compare-TIMESTAMP)." };
    static readonly RecipeOverrides Overrides = new(); // applied to every --recipes run
    static readonly Option<double> Target = new("--target") { Description = "Validation accuracy for the epochs-to-accuracy column.", DefaultValueFactory = _ => 0.98 };
    static readonly Option<string?> Plot = new("--plot") { Description = "Also draw every run's validation curve on one plot (PNG); with --recipes, OUT/validation.png by default." };

    public static Command Create()
    {
        var cmd = new Command("compare", "Train recipes side by side and/or compare finished runs: one Markdown table (best validation, test accuracy of the best-on-validation checkpoint, epochs to a target accuracy, wall time), mean ± std per recipe, and their validation curves on one plot.")
            { Dirs, Recipes, OutDir, Target, Plot, DataCommands.DataDir };
        Overrides.AddTo(cmd);
        cmd.SetAction(RunAsync);
        return cmd;
    }

    static async Task<int> RunAsync(ParseResult parse, CancellationToken cancel)
    {
        if (parse.GetValue(Target) is var t and (<= 0 or > 1)) throw new SemisupException($"--target {t}: give a validation accuracy between 0 and 1, such as 0.98.");
        // The same directory given twice (runs/a and runs/a/) is one run, not two seeds.
        var dirs = parse.GetValue(Dirs)!.DistinctBy(d => Path.GetFullPath(d).TrimEnd(Path.DirectorySeparatorChar)).ToList();
        var toTrain = (parse.GetValue(Recipes) ?? []).SelectMany(r => r.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList();
        if (dirs.Count == 0 && toTrain.Count == 0) throw new SemisupException("Give finished run directories, or --recipes to train.");
        var locate = DataCommands.Locator(parse, cancel);
        string? png = parse.GetValue(Plot);
        if (toTrain.Count > 0)
        {
            var root = parse.GetValue(OutDir) ?? RunDirectory.NewPath("compare");
            var plan = Comparison.Plan(toTrain, root, Overrides.Of(parse));
            var trained = await Comparison.TrainAsync(plan, root,
                async (r, dir, resuming) => await TrainCommand.TrainAsync(new(r, dir, resuming), locate, cancel) == 0, Console.WriteLine);
            if (trained == null) return 130;
            dirs.AddRange(trained);
            png ??= Path.Combine(root, "validation.png");
        }
        Print(await Comparison.ReadAsync(dirs, locate), parse.GetValue(Target), png);
        return 0;
    }

    static void Print(IReadOnlyList<RunSummary> rows, double target, string? png)
    {
        Console.WriteLine();
        foreach (var line in ComparisonTable.Lines(rows, target)) Console.WriteLine(line);
        if (png == null) return;
        var labels = ComparisonTable.RunLabels(rows.Select(r => (r.Dir, r.Recipe.Data.Seed)).ToList());
        Plots.ValidationCurves(png, labels.Zip(rows, (label, r) => (label, r.Metrics)).ToList(), "validation accuracy");
        Console.WriteLine($"\nplot: {png}");
    }
}
