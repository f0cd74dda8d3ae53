using System.Globalization;
using System.Text;
using Semisup.Data;
using Semisup.Training;
using Semisup.Recipes;
using Semisup.Runs;

namespace Semisup.Reports;

/// <summary>A run's numbers as its report states them.</summary>
/// <param name="TestAccuracy">Null, with <paramref name="TestLoss"/>, when the run had no test set (a folder without
/// test/); <paramref name="Untested"/> then says so.</param>
public sealed record ReportNumbers(int BestEpoch, double BestValidationAccuracy, double? TestAccuracy, double? TestLoss, int Epochs, double WallSeconds, string? Untested = null)
{
    /// <summary>The line train ends with.</summary>
    public string Line => $"best validation accuracy {BestValidationAccuracy:P2} (epoch {BestEpoch}); {(TestAccuracy is { } a ? $"test accuracy {a:P2}" : Untested)}";
}

/// <summary>The end of a run, from its directory's files alone: the lab's two figures, a confusion matrix, the
/// misclassified test images, submission.csv and summary.md, from the test answers training recorded (test.json).</summary>
public static class RunReport
{
    /// <summary>What a report says of a folder run without test images.</summary>
    public const string NoTestFolder = "no test/ folder: test accuracy not measured", NoTestRows = "no test rows in the CSV: test accuracy not measured";

    /// <summary>Class names a folder run's summary lists; more are counted.</summary>
    public const int NamesListed = 10;

    /// <summary>The test images as stored (N×C×H×W bytes), their labels and, for a folder, their files.</summary>
    sealed record TestImages(byte[] Pixels, int Channels, int Height, int Width, long[] Labels, string[]? Paths);

    /// <param name="images">How a folder run's images load (its shape comes from the recipe): through the decode cache,
    /// as training read them.</param>
    public static async Task<ReportNumbers> WriteAsync(string runDir, LocateData locate, ImageLoadOptions? images = null)
    {
        var dir = new RunDirectory(runDir);
        var recipe = dir.ReadRecipe();
        var test = dir.ReadTest();
        if (recipe.Data.Folder != null) return WriteFolder(dir, recipe, test, images ?? new());
        if (test == null) throw NotFinished(runDir);
        var (ds, files) = await locate.ReadAsync(recipe.Data.Dataset);
        var shown = new TestImages(files.TestImages.Data, 1, files.TestImages.Shape[1], files.TestImages.Shape[2], [.. files.TestLabels.Data.Select(b => (long)b)], null);
        return Write(dir, recipe, test, shown, ClassNames.Of(ds), data: null, untested: null);
    }

    static SemisupException NotFinished(string runDir) =>
        new($"{runDir}: no {RunDirectory.Test}; the run has not finished (continue it with `semisup train --resume {runDir}`).");

    /// <summary>A run on a folder: its test part read again (from the cache) in the order training measured it, or,
    /// without one, the report of a finished run whose test accuracy was never measured.</summary>
    static ReportNumbers WriteFolder(RunDirectory dir, Recipe recipe, TestResult? test, ImageLoadOptions options)
    {
        var set = FolderData.Read(recipe, options);
        var split = dir.ReadSplit((set.Labeled?.Count ?? 0) + (set.Unlabeled?.Count ?? 0));
        var data = DataCell(recipe, split, set.Validation?.Count ?? split.Validation.Length);
        var names = recipe.ClassNames;
        if (set.Test is not { } part)
        {
            if (test != null)
                throw new SemisupException($"{recipe.Data.Folder}: no test images now, but the run measured {test.Predictions.Length:N0}; restore its {ImageListing.TestFolder}/ to report on them.");
            if (dir.SavedEpoch < recipe.Run.Epochs) throw new SemisupException($"{dir.Path}: the run has not finished (continue it with `semisup train --resume {dir.Path}`).");
            bool csv = Path.GetExtension(recipe.Data.Folder!).Equals(".csv", StringComparison.OrdinalIgnoreCase);
            return Write(dir, recipe, null, null, names, data, csv ? NoTestRows : NoTestFolder);
        }
        // Also when test/ came after the run ended: resuming a finished run measures the test set and reports again.
        if (test == null)
            throw new SemisupException($"{dir.Path}: no {RunDirectory.Test}; `semisup train --resume {dir.Path}` finishes the run, measures its test images and writes the report.");
        var shown = new TestImages(part.Pixels, part.Shape.Channels, part.Shape.Size, part.Shape.Size, [.. part.Labels.Select(l => (long)l)], part.Paths);
        return Write(dir, recipe, test, shown, names, data, untested: null);
    }

    static ReportNumbers Write(RunDirectory dir, Recipe recipe, TestResult? test, TestImages? images, IReadOnlyList<string> names, string? data, string? untested)
    {
        var metrics = dir.ReadMetrics();
        Plots.Loss(dir["loss.png"], metrics, $"{recipe.Name}: training and validation loss");
        Plots.Accuracy(dir["accuracy.png"], metrics, $"{recipe.Name}: validation accuracy");
        // The test set's calibration when the run measured it with the temperature, else the validation set's.
        var calibration = dir.ReadCalibration();
        if (calibration != null)
        {
            var (check, on) = calibration.Test is { } t ? (t, "test") : (calibration.Validation, "validation");
            Plots.Reliability(dir[Reliability], check.RawBins, check.Bins, calibration.Temperature, $"{recipe.Name}: reliability on {check.Count:N0} {on} images");
        }

        int wrongShown = 0, testCount = 0;
        if (test != null && images != null)
        {
            var truth = images.Labels;
            testCount = truth.Length;
            if (truth.Length != test.Predictions.Length) throw new SemisupException($"{dir[RunDirectory.Test]}: {test.Predictions.Length} answers for {truth.Length} test images.");
            ConfusionMatrix.Save(dir["confusion.png"], Confusion.Count(truth, test.Predictions, names.Count), names,
                $"{recipe.Name}: test confusion matrix ({test.Accuracy:P2})");

            var wrong = Enumerable.Range(0, truth.Length).Where(i => truth[i] != test.Predictions[i]).Take(100).ToArray();
            wrongShown = wrong.Length;
            if (wrong.Length > 0)
            {
                var (c, h, w) = (images.Channels, images.Height, images.Width);
                int size = c * h * w;
                var pixels = wrong.SelectMany(i => new ArraySegment<byte>(images.Pixels, i * size, size)).ToArray();
                // Digits at 3× as ever; larger photos drawn about 96 pixels wide, so the grid stays a page. Long names
                // put the true class on a line of its own, so neither name is lost.
                ImageGrid.Save(dir["misclassified.png"], pixels, c, h, w,
                    wrong.Select(i => $"{names[(int)test.Predictions[i]]}\n({names[(int)truth[i]]})").ToArray(),
                    scale: Math.Min(3f, 96f / Math.Max(h, w)), captionColor: SkiaSharp.SKColors.DarkRed, negative: images.Paths == null);
            }
            File.WriteAllText(dir[RunDirectory.Submission], Submission(test.Predictions, images.Paths, names));
        }

        var last = metrics.Count > 0 ? metrics[^1] : null;
        // Training keeps the first epoch of the highest validation accuracy, and so does this.
        var best = metrics.Count > 0 ? metrics.MaxBy(m => m.ValidationAccuracy)! : null;
        var numbers = new ReportNumbers(best?.Epoch ?? test?.Epoch ?? 0, best?.ValidationAccuracy ?? 0, test?.Accuracy, test?.Loss, last?.Epoch ?? 0, last?.WallSeconds ?? 0, untested);
        File.WriteAllText(dir[RunDirectory.Summary], Summary(recipe, numbers, wrongShown, testCount, data, calibration));
        return numbers;
    }

    /// <summary>A dataset's test images by index (ID,label as Kaggle's digit recognizer takes it), or a folder's by
    /// file, relative to the folder, with the predicted class's name.</summary>
    static string Submission(long[] predictions, string[]? paths, IReadOnlyList<string> names)
    {
        var csv = new StringBuilder(paths == null ? "ID,label\n" : "path,label\n");
        for (int i = 0; i < predictions.Length; i++)
            if (paths == null) csv.Append(CultureInfo.InvariantCulture, $"{i},{predictions[i]}\n");
            else csv.Append(CsvField(paths[i])).Append(',').Append(CsvField(names[(int)predictions[i]])).Append('\n');
        return csv.ToString();
    }

    /// <summary>A CSV field as RFC 4180 writes it: quoted, its quotes doubled, when it holds a comma, a quote or a line break.</summary>
    public static string CsvField(string value) =>
        value.AsSpan().IndexOfAny(",\"\r\n") < 0 ? value : "\"" + value.Replace("\"", "\"\"") + "\"";

    /// <summary>A folder run's data row: the folder, its classes, the shape its images load at and the split's counts.</summary>
    static string DataCell(Recipe r, Split split, int validation)
    {
        var names = r.ClassNames;
        var listed = string.Join(", ", names.Take(NamesListed).Select(n => n.Length > 40 ? n[..39].TrimEnd() + Fonts.Ellipsis : n))
            + (names.Count > NamesListed ? $", … ({names.Count - NamesListed:N0} more)" : "");
        var (c, h, w, _) = r.Input;
        return string.Create(CultureInfo.InvariantCulture,
            $"`{r.Data.Folder}`: {names.Count} classes ({listed}), images {c}×{h}×{w}; {split.Labeled.Length:N0} labeled, {split.Unlabeled.Length:N0} unlabeled, {validation:N0} validation");
    }

    /// <summary>Text inside a Markdown table cell: a pipe would end the cell, a line break the table.</summary>
    static string Cell(string text) => text.Replace("|", "\\|").ReplaceLineEndings(" ");

    /// <summary>The reliability diagram's file in the run directory.</summary>
    public const string Reliability = "reliability.png";

    static string Summary(Recipe r, ReportNumbers n, int wrongShown, int testCount, string? data, CalibrationResult? calibration)
    {
        var s = new StringBuilder();
        void Line(string text = "") => s.Append(text).Append('\n');
        string Invariant(FormattableString f) => f.ToString(CultureInfo.InvariantCulture);
        Line($"# {r.Name}");
        Line();
        Line(r.Description);
        Line();
        Line("| | |");
        Line("|---|---|");
        if (data == null)
            Line(Invariant($"| method | {r.MethodKind} on {r.Data.Dataset}, {(r.Data.Labels < 0 ? "all" : r.Data.Labels.ToString(CultureInfo.InvariantCulture))} labels, seed {r.Data.Seed} |"));
        else
        {
            Line(Invariant($"| method | {r.MethodKind}, seed {r.Data.Seed} |"));
            Line($"| data | {Cell(data)} |");
        }
        Line(Invariant($"| epochs run | {n.Epochs} |"));
        Line(Invariant($"| weights evaluated | {(r.AverageDecay > 0 ? "moving average, decay " + r.AverageDecay.ToString(CultureInfo.InvariantCulture) + " per step" : "after the last step of the epoch")} |"));
        Line(Invariant($"| best validation accuracy | {100 * n.BestValidationAccuracy:F2}% (epoch {n.BestEpoch}) |"));
        if (n.TestAccuracy is { } accuracy)
        {
            Line(Invariant($"| test accuracy (best-on-validation checkpoint, measured once) | **{100 * accuracy:F2}%** ({Math.Round((1 - accuracy) * testCount)} of {testCount} wrong) |"));
            Line(Invariant($"| test loss{(calibration != null ? " (with the temperature)" : "")} | {n.TestLoss:F4} |"));
        }
        else Line($"| test accuracy | {n.Untested} |");
        if (calibration is { Temperature: var t, Validation: var v })
        {
            string Change(CalibrationCheck c) => Invariant($"{100 * c.RawError:F2}% → {100 * c.Error:F2}%");
            Line(Invariant($"| ECE ({Calibration.Bins} bins), raw → with temperature {t:F3} | ") +
                (calibration.Test is { } test ? $"test {Change(test)}; validation (where T was fitted) {Change(v)} |" : $"validation (where T was fitted) {Change(v)} |"));
        }
        Line(Invariant($"| wall time | {TimeSpan.FromSeconds(n.WallSeconds):hh\\:mm\\:ss} |"));
        Line();
        Line("![loss](loss.png)");
        Line("![accuracy](accuracy.png)");
        if (calibration != null) Line($"![reliability]({Reliability})");
        if (n.TestAccuracy != null)
        {
            Line("![confusion matrix](confusion.png)");
            Line(wrongShown > 0 ? "![misclassified](misclassified.png)" : $"No test {(data == null ? "digit" : "image")} was misclassified.");
        }
        Line();
        var files = "Files: `recipe.json`, `split.json`, `metrics.jsonl`, `tensorboard/` (`tensorboard --logdir tensorboard`), `best.ckpt`, `last.ckpt`"
            + (calibration != null ? $", `{RunDirectory.Calibration}` (the temperature, and the calibration without and with it)" : "");
        s.Append(n.TestAccuracy == null ? files + "."
            : data == null ? files + ", `test.json` (the test answers), `submission.csv` (ID = index in the test file)."
            : files + ", `test.json` (the test answers), `submission.csv` (path = the test file in the folder, label = its predicted class).");
        return s.ToString();
    }
}
