using System.Globalization;
using Semisup.Training;
using Semisup.Recipes;
using Semisup.Runs;

namespace Semisup.Reports;

/// <summary>compare's table: a row per run, then mean ± std (sample) of each recipe run with several seeds.</summary>
public static class ComparisonTable
{
    public static IEnumerable<string> Lines(IReadOnlyList<RunSummary> rows, double target)
    {
        string P(double? v) => v is { } a ? (100 * a).ToString("F2", CultureInfo.InvariantCulture) + "%" : NotMeasured;
        string Reached(IReadOnlyList<EpochMetrics> metrics)
        {
            var first = metrics.FirstOrDefault(m => m.ValidationAccuracy >= target);
            return first == null ? "not reached" : $"{first.Epoch} ({TimeSpan.FromSeconds(first.WallSeconds):hh\\:mm\\:ss})";
        }
        yield return $"| run | recipe | method | optimizer | labels | seed | epochs | best validation (epoch) | test | epochs to {P(target)} validation (time) | wall time |";
        yield return "|---|---|---|---|---|---|---|---|---|---|---|";
        var labels = RunLabels(rows.Select(r => (r.Dir, r.Recipe.Data.Seed)).ToList());
        foreach (var (r, label) in rows.Zip(labels))
            yield return $"| {label} | {r.Recipe.Name} | {r.Recipe.MethodKind} | {r.Recipe.OptimizerKind} | {(r.Recipe.Data.Labels < 0 ? "all" : r.Recipe.Data.Labels)} | {r.Recipe.Data.Seed} | " +
                $"{r.Metrics.Count} | {P(r.BestValidationAccuracy)} ({r.BestEpoch}) | {P(r.TestAccuracy)} | {Reached(r.Metrics)} | {TimeSpan.FromSeconds(r.Metrics.Count > 0 ? r.Metrics[^1].WallSeconds : 0):hh\\:mm\\:ss} |";
        foreach (var (name, of, validation, test) in Groups(rows))
            yield return string.Create(CultureInfo.InvariantCulture,
                $"| **{name}: mean ± std of {of}** | | | | | | | {100 * validation.Mean:F2} ± {100 * validation.Std:F2}% | {(test is var (mean, std) ? $"**{100 * mean:F2} ± {100 * std:F2}%**" : NotMeasured)} | | |");
    }

    /// <summary>The test column of a run that measured no test set (a folder without test/).</summary>
    public const string NotMeasured = "—";

    /// <summary>Runs of one recipe differing only in seed (and thread count) are repetitions of one experiment. Their
    /// test accuracy is summarised only when every one of them measured it. The description is prose, edited after
    /// runs are kept, so it does not split them.</summary>
    public static IEnumerable<(string Recipe, string Of, (double Mean, double Std) Validation, (double Mean, double Std)? Test)> Groups(IReadOnlyList<RunSummary> rows)
    {
        foreach (var group in rows.GroupBy(r => (r.Recipe with { Description = "", Data = r.Recipe.Data with { Seed = 0 }, Run = r.Recipe.Run with { Threads = 0 } }).ToJson()).Where(g => g.Count() > 1))
        {
            // A seed given twice is one experiment run twice, not two: say so rather than count it as a seed.
            int seeds = group.Select(r => r.Recipe.Data.Seed).Distinct().Count();
            var of = seeds == group.Count() ? $"{seeds} seeds" : $"{group.Count()} runs of {seeds} seed{(seeds == 1 ? "" : "s")}";
            var tested = group.All(r => r.TestAccuracy != null) ? MeanStd(group.Select(r => r.TestAccuracy!.Value)) : ((double, double)?)null;
            yield return (group.First().Recipe.Name, of, MeanStd(group.Select(r => r.BestValidationAccuracy)), tested);
        }
    }

    /// <summary>Mean and sample standard deviation (n − 1).</summary>
    public static (double Mean, double Std) MeanStd(IEnumerable<double> values)
    {
        var a = values.ToArray();
        double mean = a.Average();
        return (mean, a.Length > 1 ? Math.Sqrt(a.Sum(x => (x - mean) * (x - mean)) / (a.Length - 1)) : 0);
    }

    /// <summary>A run's name in tables and plots: its directory's name, with the seed when several runs share that
    /// name (runs/100-labels-s1/ladder-100, runs/100-labels-s2/ladder-100, ...).</summary>
    public static IReadOnlyList<string> RunLabels(IReadOnlyList<(string Dir, ulong Seed)> runs)
    {
        var names = runs.Select(r => Path.GetFileName(Path.TrimEndingDirectorySeparator(r.Dir))).ToList();
        return names.Select((n, i) => names.Count(m => m == n) > 1 ? $"{n} (seed {runs[i].Seed})" : n).ToList();
    }
}
