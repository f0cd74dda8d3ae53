using Semisup.Training;

namespace Semisup.Reports;

/// <summary>The lab's Figures 1 and 2: training and validation loss, and validation accuracy, per epoch.</summary>
public static class Plots
{
    static void UseFont()
    {
        if (Fonts.FontFile is { } f)
        {
            ScottPlot.Fonts.AddFontFile("Semisup", f);
            ScottPlot.Fonts.Default = "Semisup";
        }
    }

    public static void Loss(string path, IReadOnlyList<EpochMetrics> metrics, string title)
    {
        UseFont();
        var plot = new ScottPlot.Plot();
        double[] epochs = metrics.Select(m => (double)m.Epoch).ToArray();
        plot.Add.ScatterLine(epochs, metrics.Select(m => m.TrainLoss).ToArray()).LegendText = "training loss (supervised + unsupervised)";
        plot.Add.ScatterLine(epochs, metrics.Select(m => m.SupervisedLoss).ToArray()).LegendText = "supervised part";
        plot.Add.ScatterLine(epochs, metrics.Select(m => m.ValidationLoss).ToArray()).LegendText = "validation loss";
        plot.Title(title);
        plot.XLabel("epoch");
        plot.YLabel("loss");
        plot.ShowLegend(ScottPlot.Alignment.UpperRight);
        plot.SavePng(path, 900, 540);
    }

    public static void Accuracy(string path, IReadOnlyList<EpochMetrics> metrics, string title)
    {
        UseFont();
        var plot = new ScottPlot.Plot();
        double[] epochs = metrics.Select(m => (double)m.Epoch).ToArray();
        plot.Add.ScatterLine(epochs, metrics.Select(m => 100 * m.ValidationAccuracy).ToArray()).LegendText = "validation accuracy (%)";
        var best = metrics.MaxBy(m => m.ValidationAccuracy);
        if (best != null)
        {
            var marker = plot.Add.Marker(best.Epoch, 100 * best.ValidationAccuracy);
            marker.LegendText = $"best: {100 * best.ValidationAccuracy:F2}% at epoch {best.Epoch}";
            // Zoom to where the curve is interesting: from a little below the median up to the best.
            var sorted = metrics.Select(m => 100 * m.ValidationAccuracy).Order().ToArray();
            plot.Axes.SetLimitsY(Math.Max(0, sorted[sorted.Length / 4] - 1), Math.Min(100, 100 * best.ValidationAccuracy + 0.3));
        }
        plot.Title(title);
        plot.XLabel("epoch");
        plot.YLabel("validation accuracy (%)");
        plot.ShowLegend(ScottPlot.Alignment.LowerRight);
        plot.SavePng(path, 900, 540);
    }

    /// <summary>Several runs' validation accuracy on one plot, for comparisons.</summary>
    public static void ValidationCurves(string path, IReadOnlyList<(string Label, IReadOnlyList<EpochMetrics> Metrics)> runs, string title)
    {
        UseFont();
        var plot = new ScottPlot.Plot();
        foreach (var (label, metrics) in runs)
            plot.Add.ScatterLine(metrics.Select(m => (double)m.Epoch).ToArray(), metrics.Select(m => 100 * m.ValidationAccuracy).ToArray()).LegendText = label;
        var all = runs.SelectMany(r => r.Metrics).Select(m => 100 * m.ValidationAccuracy).Order().ToArray();
        if (all.Length > 0) plot.Axes.SetLimitsY(Math.Max(0, all[all.Length / 4] - 1), Math.Min(100, all[^1] + 0.3));
        plot.Title(title);
        plot.XLabel("epoch");
        plot.YLabel("validation accuracy (%)");
        plot.ShowLegend(ScottPlot.Alignment.LowerRight);
        plot.SavePng(path, 900, 540);
    }
}
