using System.Globalization;
using System.Text;
using Semisup.Data;
using Semisup.Training;

namespace Semisup.Reports;

public sealed record ReportNumbers(int BestEpoch, double BestValidationAccuracy, double TestAccuracy, double TestLoss, int Epochs, double WallSeconds);

/// <summary>The end of a run: test accuracy of the best-on-validation checkpoint (measured once, here), the lab's
/// two figures, a confusion matrix, the misclassified test digits, submission.csv and summary.md.</summary>
public static class RunReport
{
    public const string SummaryFile = "summary.md", SubmissionFile = "submission.csv";

    public static ReportNumbers Write(string runDir, RunData data, DatasetInfo ds)
    {
        var metrics = Trainer.ReadMetrics(runDir);
        var (model, header) = Checkpoint.Load(Path.Combine(runDir, Trainer.BestCheckpoint));
        using var _ = model;
        var recipe = header.Recipe;
        var test = Evaluator.Evaluate(model, data.Test, recipe.EvalBatch);
        var truth = data.Test.Labels.data<long>().ToArray();
        var names = ClassNames.Of(ds);

        Plots.Loss(Path.Combine(runDir, "loss.png"), metrics, $"{recipe.Name}: training and validation loss");
        Plots.Accuracy(Path.Combine(runDir, "accuracy.png"), metrics, $"{recipe.Name}: validation accuracy");
        ConfusionMatrix.Save(Path.Combine(runDir, "confusion.png"), ConfusionMatrix.Count(truth, test.Predictions, names.Count), names,
            $"{recipe.Name}: test confusion matrix ({test.Accuracy:P2})");

        var wrong = Enumerable.Range(0, truth.Length).Where(i => truth[i] != test.Predictions[i]).Take(100).ToArray();
        if (wrong.Length > 0)
        {
            var all = data.Test.Images.data<float>();
            int px = (int)(data.Test.Images.shape[2] * data.Test.Images.shape[3]);
            var pixels = wrong.SelectMany(i => Enumerable.Range(0, px).Select(p => all[i * px + p])).ToArray();
            DigitGrid.Save(Path.Combine(runDir, "misclassified.png"), pixels, (int)data.Test.Images.shape[2], (int)data.Test.Images.shape[3],
                wrong.Select(i => $"{names[(int)test.Predictions[i]]} ({names[(int)truth[i]]})").ToArray(), captionColor: SkiaSharp.SKColors.DarkRed);
        }

        var csv = new StringBuilder("ID,label\n");
        for (int i = 0; i < test.Predictions.Length; i++) csv.Append(CultureInfo.InvariantCulture, $"{i},{test.Predictions[i]}\n");
        File.WriteAllText(Path.Combine(runDir, SubmissionFile), csv.ToString());

        var last = metrics.Count > 0 ? metrics[^1] : null;
        var numbers = new ReportNumbers(header.State.BestEpoch, header.State.BestValidationAccuracy, test.Accuracy, test.Loss,
            last?.Epoch ?? 0, last?.WallSeconds ?? 0);
        File.WriteAllText(Path.Combine(runDir, SummaryFile), Summary(recipe, numbers, wrong.Length, test.Count));
        return numbers;
    }

    static string Summary(Recipe r, ReportNumbers n, int wrongShown, int testCount) => string.Create(CultureInfo.InvariantCulture, $"""
        # {r.Name}

        {r.Description}

        | | |
        |---|---|
        | method | {r.Method} on {r.Dataset}, {(r.Labels < 0 ? "all" : r.Labels.ToString(CultureInfo.InvariantCulture))} labels, seed {r.Seed} |
        | epochs run | {n.Epochs} |
        | weights evaluated | {(r.AveragesWeights ? "moving average, decay " + r.EmaDecay.ToString(CultureInfo.InvariantCulture) + " per step" : "after the last step of the epoch")} |
        | best validation accuracy | {100 * n.BestValidationAccuracy:F2}% (epoch {n.BestEpoch}) |
        | test accuracy (best-on-validation checkpoint, measured once) | **{100 * n.TestAccuracy:F2}%** ({Math.Round((1 - n.TestAccuracy) * testCount)} of {testCount} wrong) |
        | test loss | {n.TestLoss:F4} |
        | wall time | {TimeSpan.FromSeconds(n.WallSeconds):hh\:mm\:ss} |

        ![loss](loss.png)
        ![accuracy](accuracy.png)
        ![confusion matrix](confusion.png)
        {(wrongShown > 0 ? "![misclassified](misclassified.png)" : "No test digit was misclassified.")}

        Files: `recipe.json`, `split.json`, `metrics.jsonl`, `tensorboard/` (`tensorboard --logdir tensorboard`), `best.ckpt`, `last.ckpt`, `submission.csv` (ID = index in the test file).
        """);
}
