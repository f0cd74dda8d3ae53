using System.Globalization;
using System.Text;
using Semisup.Data;
using Semisup.Training;
using Semisup.Recipes;
using Semisup.Runs;

namespace Semisup.Reports;

public sealed record ReportNumbers(int BestEpoch, double BestValidationAccuracy, double TestAccuracy, double TestLoss, int Epochs, double WallSeconds);

/// <summary>The end of a run, from its directory's files alone: the lab's two figures, a confusion matrix, the
/// misclassified test digits, submission.csv and summary.md, from the test answers training recorded (test.json).</summary>
public static class RunReport
{
    public static async Task<ReportNumbers> WriteAsync(string runDir, LocateData locate)
    {
        var dir = new RunDirectory(runDir);
        var recipe = dir.ReadRecipe();
        var test = dir.ReadTest() ?? throw new SemisupException($"{runDir}: no {RunDirectory.Test}; the run has not finished (continue it with `semisup train --resume {runDir}`).");
        var (ds, files) = await locate.ReadAsync(recipe.Data.Dataset);
        return Write(dir, recipe, test, files.TestImages, files.TestLabels, ClassNames.Of(ds));
    }

    static ReportNumbers Write(RunDirectory dir, Recipe recipe, TestResult test, IdxArray images, IdxArray labels, IReadOnlyList<string> names)
    {
        var metrics = dir.ReadMetrics();
        var truth = labels.Data.Select(b => (long)b).ToArray();
        if (truth.Length != test.Predictions.Length) throw new SemisupException($"{dir[RunDirectory.Test]}: {test.Predictions.Length} answers for {truth.Length} test images.");
        int wrongCount = truth.Where((t, i) => t != test.Predictions[i]).Count();

        Plots.Loss(dir["loss.png"], metrics, $"{recipe.Name}: training and validation loss");
        Plots.Accuracy(dir["accuracy.png"], metrics, $"{recipe.Name}: validation accuracy");
        ConfusionMatrix.Save(dir["confusion.png"], Confusion.Count(truth, test.Predictions, names.Count), names,
            $"{recipe.Name}: test confusion matrix ({test.Accuracy:P2})");

        var wrong = Enumerable.Range(0, truth.Length).Where(i => truth[i] != test.Predictions[i]).Take(100).ToArray();
        if (wrong.Length > 0)
        {
            int h = images.Shape[1], w = images.Shape[2], px = h * w;
            var pixels = wrong.SelectMany(i => new ArraySegment<byte>(images.Data, i * px, px)).ToArray();
            ImageGrid.Save(dir["misclassified.png"], pixels, 1, h, w,
                wrong.Select(i => $"{names[(int)test.Predictions[i]]}\n({names[(int)truth[i]]})").ToArray(), captionColor: SkiaSharp.SKColors.DarkRed, negative: true);
        }

        var csv = new StringBuilder("ID,label\n");
        for (int i = 0; i < test.Predictions.Length; i++) csv.Append(CultureInfo.InvariantCulture, $"{i},{test.Predictions[i]}\n");
        File.WriteAllText(dir[RunDirectory.Submission], csv.ToString());

        var last = metrics.Count > 0 ? metrics[^1] : null;
        // Training keeps the first epoch of the highest validation accuracy, and so does this.
        var best = metrics.Count > 0 ? metrics.MaxBy(m => m.ValidationAccuracy)! : null;
        var numbers = new ReportNumbers(best?.Epoch ?? test.Epoch, best?.ValidationAccuracy ?? 0, test.Accuracy, test.Loss, last?.Epoch ?? 0, last?.WallSeconds ?? 0);
        File.WriteAllText(dir[RunDirectory.Summary], Summary(recipe, numbers, wrong.Length, truth.Length));
        return numbers;
    }

    static string Summary(Recipe r, ReportNumbers n, int wrongShown, int testCount) => string.Create(CultureInfo.InvariantCulture, $"""
        # {r.Name}

        {r.Description}

        | | |
        |---|---|
        | method | {r.MethodKind} on {r.Data.Dataset}, {(r.Data.Labels < 0 ? "all" : r.Data.Labels.ToString(CultureInfo.InvariantCulture))} labels, seed {r.Data.Seed} |
        | epochs run | {n.Epochs} |
        | weights evaluated | {(r.AverageDecay > 0 ? "moving average, decay " + r.AverageDecay.ToString(CultureInfo.InvariantCulture) + " per step" : "after the last step of the epoch")} |
        | best validation accuracy | {100 * n.BestValidationAccuracy:F2}% (epoch {n.BestEpoch}) |
        | test accuracy (best-on-validation checkpoint, measured once) | **{100 * n.TestAccuracy:F2}%** ({Math.Round((1 - n.TestAccuracy) * testCount)} of {testCount} wrong) |
        | test loss | {n.TestLoss:F4} |
        | wall time | {TimeSpan.FromSeconds(n.WallSeconds):hh\:mm\:ss} |

        ![loss](loss.png)
        ![accuracy](accuracy.png)
        ![confusion matrix](confusion.png)
        {(wrongShown > 0 ? "![misclassified](misclassified.png)" : "No test digit was misclassified.")}

        Files: `recipe.json`, `split.json`, `metrics.jsonl`, `tensorboard/` (`tensorboard --logdir tensorboard`), `best.ckpt`, `last.ckpt`, `test.json` (the test answers), `submission.csv` (ID = index in the test file).
        """);
}
