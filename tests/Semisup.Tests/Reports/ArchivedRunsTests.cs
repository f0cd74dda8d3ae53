using System.Globalization;
using System.Text.RegularExpressions;
using Semisup.Reports;
using Semisup.Training;

namespace Semisup.Tests.Reports;

public class ArchivedRunsTests
{
    public static TheoryData<string> Runs()
    {
        var data = new TheoryData<string>();
        foreach (var parent in new[] { "models", Path.Combine("docs", "runs") })
            foreach (var dir in Directory.GetDirectories(Path.Combine(Repo.Root, parent)).Order(StringComparer.Ordinal))
                data.Add(Path.GetRelativePath(Repo.Root, dir));
        return data;
    }

    [Theory]
    [MemberData(nameof(Runs))]
    public void Each_kept_run_summary_agrees_with_its_metrics(string run)
    {
        // RESULTS cites these copies once the machine that ran them is gone, so a summary edited by hand, or metrics from
        // another run beside it, must not pass for the run's own record.
        var dir = Path.Combine(Repo.Root, run);
        var summary = File.ReadAllText(Path.Combine(dir, RunDirectory.Summary));
        var metrics = new RunDirectory(dir).ReadMetrics();
        Assert.Equal([.. Enumerable.Range(1, metrics.Count)], metrics.Select(m => m.Epoch));
        Assert.Equal(metrics.Count, int.Parse(Field(summary, @"\| epochs run \| (\d+) \|"), CultureInfo.InvariantCulture));

        // The trainer keeps the first epoch that reaches the maximum (a later tie is not "better").
        var best = metrics.MaxBy(m => m.ValidationAccuracy)!;
        var reported = Regex.Match(summary, @"\| best validation accuracy \| ([\d.]+)% \(epoch (\d+)\) \|");
        Assert.True(reported.Success, $"{run}: no best validation accuracy in its summary");
        Assert.Equal((100 * best.ValidationAccuracy).ToString("F2", CultureInfo.InvariantCulture), reported.Groups[1].Value);
        Assert.Equal(best.Epoch.ToString(CultureInfo.InvariantCulture), reported.Groups[2].Value);

        var recipe = Recipe.Read(Path.Combine(dir, RunDirectory.Recipe));
        Assert.Equal(recipe.Name, Field(summary, @"^# (\S+)"));
        Assert.Equal(recipe.Run.Epochs, metrics.Count); // a kept run is a finished one
    }

    static string Field(string text, string pattern)
    {
        var m = Regex.Match(text, pattern, RegexOptions.Multiline);
        Assert.True(m.Success, $"no match for {pattern}");
        return m.Groups[1].Value;
    }
}
