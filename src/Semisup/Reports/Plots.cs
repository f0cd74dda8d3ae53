using Semisup.Data;
using Semisup.Training;
using Semisup.Recipes;
using Semisup.Runs;

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
        Curve(plot, metrics, m => m.TrainLoss, "training loss (supervised + unsupervised)");
        Curve(plot, metrics, m => m.SupervisedLoss, "supervised part");
        Curve(plot, metrics, m => m.ValidationLoss, "validation loss");
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
        Curve(plot, metrics, m => 100 * m.ValidationAccuracy, "validation accuracy (%)");
        var best = metrics.MaxBy(m => m.ValidationAccuracy);
        if (best != null)
        {
            var marker = plot.Add.Marker(best.Epoch, 100 * best.ValidationAccuracy);
            marker.LegendText = $"best: {100 * best.ValidationAccuracy:F2}% at epoch {best.Epoch}";
            var (low, high) = AccuracyRange([metrics]);
            plot.Axes.SetLimitsY(low, high);
        }
        SaveAccuracyPlot(plot, title, path);
    }

    /// <summary>Titles, axes and legend of a validation-accuracy plot, then the PNG.</summary>
    static void SaveAccuracyPlot(ScottPlot.Plot plot, string title, string path)
    {
        plot.Title(title);
        plot.XLabel("epoch");
        plot.YLabel("validation accuracy (%)");
        plot.ShowLegend(ScottPlot.Alignment.LowerRight);
        plot.SavePng(path, 900, 540);
    }

    /// <summary>A curve with a point per epoch; with few epochs the points are marked, so a run of one epoch shows.</summary>
    static void Curve(ScottPlot.Plot plot, IReadOnlyList<EpochMetrics> metrics, Func<EpochMetrics, double> value, string label)
    {
        var curve = plot.Add.Scatter(metrics.Select(m => (double)m.Epoch).ToArray(), metrics.Select(value).ToArray());
        curve.MarkerSize = metrics.Count > 30 ? 0 : 5;
        curve.LegendText = label;
    }

    /// <summary>The validation-accuracy axis (%), zoomed to where the curves are interesting: from a little below the
    /// lower quartile of all their points, or below the lowest run's best if that is lower, so every run shows, up to
    /// a little above the best of all.</summary>
    public static (double Low, double High) AccuracyRange(IEnumerable<IReadOnlyList<EpochMetrics>> runs)
    {
        var finished = runs.Where(r => r.Count > 0).ToList();
        var all = finished.SelectMany(r => r).Select(m => 100 * m.ValidationAccuracy).Order().ToArray();
        double lowestBest = finished.Min(r => r.Max(m => 100 * m.ValidationAccuracy));
        return (Math.Max(0, Math.Min(all[all.Length / 4], lowestBest) - 1), Math.Min(100, all[^1] + 0.3));
    }

    /// <summary>Several runs' validation accuracy on one plot, for comparisons.</summary>
    public static void ValidationCurves(string path, IReadOnlyList<(string Label, IReadOnlyList<EpochMetrics> Metrics)> runs, string title)
    {
        UseFont();
        var plot = new ScottPlot.Plot();
        foreach (var (label, metrics) in runs) Curve(plot, metrics, m => 100 * m.ValidationAccuracy, label);
        if (runs.Any(r => r.Metrics.Count > 0))
        {
            var (low, high) = AccuracyRange(runs.Select(r => r.Metrics));
            plot.Axes.SetLimitsY(low, high);
        }
        SaveAccuracyPlot(plot, title, path);
    }

    /// <summary>A reliability diagram (Guo et al. 2017, Figure 1): each confidence bin's accuracy against its mean
    /// confidence, without and with the temperature; a calibrated model's points lie on the diagonal.</summary>
    public static void Reliability(string path, IReadOnlyList<ReliabilityBin> raw, IReadOnlyList<ReliabilityBin> calibrated, double temperature, string title)
    {
        UseFont();
        var plot = new ScottPlot.Plot();
        var diagonal = plot.Add.Line(0, 0, 100, 100);
        diagonal.LineColor = ScottPlot.Colors.Gray;
        diagonal.LinePattern = ScottPlot.LinePattern.Dashed;
        diagonal.LegendText = "perfect calibration";
        void Bins(IReadOnlyList<ReliabilityBin> bins, string label)
        {
            var filled = bins.Where(b => b.Count > 0).ToArray();
            var curve = plot.Add.Scatter(filled.Select(b => 100 * b.Confidence).ToArray(), filled.Select(b => 100 * b.Accuracy).ToArray());
            curve.MarkerSize = 7;
            curve.LegendText = FormattableString.Invariant($"{label}: ECE {100 * Calibration.ExpectedError(bins):F2}%");
        }
        Bins(raw, "raw");
        Bins(calibrated, FormattableString.Invariant($"with temperature {temperature:F3}"));
        plot.Axes.SetLimits(0, 100, 0, 100);
        plot.Title(title);
        plot.XLabel($"confidence (top probability, mean of each of {raw.Count} bins) %");
        plot.YLabel("accuracy in the bin %");
        plot.ShowLegend(ScottPlot.Alignment.UpperLeft);
        plot.SavePng(path, 700, 640);
    }
}
