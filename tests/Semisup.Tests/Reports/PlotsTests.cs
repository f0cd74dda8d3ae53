using Semisup.Reports;
using Semisup.Training;

namespace Semisup.Tests.Reports;

public class PlotsTests
{
    static IReadOnlyList<EpochMetrics> Run(params double[] accuracies) =>
        [.. accuracies.Select((a, i) => new EpochMetrics(i + 1, 60 * (i + 1), 1, 1, 2, 1, a, 1e-3, i + 1, 20))];

    [Fact]
    public void The_accuracy_axis_zooms_to_the_upper_three_quarters_and_to_the_best()
    {
        // 100 epochs from 50% to 99% in equal steps: the lower quartile is the point at index 25 of the sorted 100.
        var run = Run([.. Enumerable.Range(0, 100).Select(i => 0.50 + 0.49 * i / 99)]);
        var (low, high) = Plots.AccuracyRange([run]);
        Assert.Equal(50 + 49.0 * 25 / 99 - 1, low, 6);
        Assert.Equal(99.3, high, 6);
    }

    [Fact]
    public void Every_compared_run_keeps_its_best_point_on_the_plot()
    {
        // A run that never left 22% among two that reached 95%: the quartile alone would put the axis at 89%.
        var good = Run([.. Enumerable.Range(0, 50).Select(i => 0.90 + 0.05 * i / 49)]);
        var (low, high) = Plots.AccuracyRange([good, good, Run(0.20, 0.22)]);
        Assert.Equal(21, low, 6);
        Assert.Equal(95.3, high, 6);
    }
}
