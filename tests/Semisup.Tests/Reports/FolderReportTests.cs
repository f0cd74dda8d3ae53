using System.Globalization;
using Semisup.Data;
using Semisup.Reports;
using Semisup.Runs;
using Semisup.Tests.Data;
using Semisup.Training;
using SkiaSharp;

namespace Semisup.Tests.Reports;

/// <summary>The report of a run trained on a folder of colour images: class names in every file, and a report without
/// test images when the folder has no test/.</summary>
public class FolderReportTests
{
    // In label order: the folders' names sorted ordinally, as torchvision sorts them.
    static readonly string[] Classes = ["a rather long class name, with a comma", "apple", "cherry \"red\""];
    static readonly SKColor[] Colours = [new(200, 40, 40), new(40, 160, 60), new(50, 60, 210)];

    /// <summary>Each class a colour, each image a little different (so no two files are the same), 12×12 pixels.</summary>
    static string Folder(TempDir dir, bool test)
    {
        var root = dir["photos"];
        for (int c = 0; c < Classes.Length; c++)
        {
            for (int i = 0; i < 8; i++) Image(Path.Combine(root, "labeled", Classes[c], $"{i}.png"), c, i);
            for (int i = 0; i < 4 && test; i++) Image(Path.Combine(root, "test", Classes[c], $"t{i}.png"), c, 100 + i);
        }
        for (int i = 0; i < 6; i++) Image(Path.Combine(root, "unlabeled", $"u{i}.png"), i % 3, 200 + i);
        return root;
    }

    static void Image(string path, int c, int i) =>
        ImageFiles.Write(path, 12, 12, (x, y) => (x + y * 12 + i) % 7 == 0 ? new SKColor((byte)(i * 37), (byte)(i * 11), 128) : Colours[c]);

    /// <summary>A run of images-supervised on the folder: one epoch of two steps at 12×12, on one thread.</summary>
    static async Task<(string Run, ImageLoadOptions Options)> Train(TempDir dir, string folder)
    {
        var options = new ImageLoadOptions { CacheDir = dir["cache"], Threads = 1 };
        var plan = TrainingRuns.Plan("images-supervised", dir["run"], null,
            ["run.epochs=1", "run.stepsPerEpoch=2", "run.labeledBatch=6", "run.threads=1", "data.size=12", "model.width=8"], _ => { }, folder);
        var outcome = await TrainingRuns.TrainAsync(plan.Recipe, plan.RunDir, false, NoDataset, f => f(null!), _ => { }, CancellationToken.None, options);
        Assert.False(outcome.Interrupted);
        return (plan.RunDir, options);
    }

    static readonly LocateData NoDataset = ds => throw new InvalidOperationException($"a folder run read the {ds.Name} dataset");

    [Fact]
    public async Task A_folder_runs_report_names_every_test_file_and_its_predicted_class()
    {
        using var dir = new TempDir();
        var folder = Folder(dir, test: true);
        var (run, options) = await Train(dir, folder);
        var numbers = await RunReport.WriteAsync(run, NoDataset, options);

        var test = new RunDirectory(run).ReadTest()!;
        Assert.Equal(test.Accuracy, numbers.TestAccuracy);
        // The test files in the order training measured them: by class, then path.
        var files = Enumerable.Range(0, Classes.Length).SelectMany(c => Enumerable.Range(0, 4).Select(i => ($"test/{Classes[c]}/t{i}.png", c))).ToList();
        var lines = File.ReadAllLines(Path.Combine(run, RunDirectory.Submission));
        Assert.Equal("path,label", lines[0]);
        Assert.Equal(files.Count + 1, lines.Length);
        int right = 0;
        for (int i = 0; i < files.Count; i++)
        {
            var predicted = Classes[test.Predictions[i]];
            Assert.Equal($"{Quoted(files[i].Item1)},{Quoted(predicted)}", lines[i + 1]);
            if (test.Predictions[i] == files[i].c) right++;
        }
        Assert.Equal(test.Accuracy, right / (double)files.Count);
        // One class's name holds a comma, another's quotes: written as RFC 4180 quotes them.
        Assert.StartsWith("\"test/a rather long class name, with a comma/t0.png\",", lines[1]);
        Assert.Equal("\"cherry \"\"red\"\"\"", RunReport.CsvField(Classes[2]));

        var summary = File.ReadAllText(Path.Combine(run, RunDirectory.Summary));
        Assert.Contains($"| data | `{Path.GetFullPath(folder)}`: 3 classes (a rather long class name, with a comma, apple, cherry \"red\"), images 3×12×12; ", summary);
        var split = Split.Load(Path.Combine(run, RunDirectory.Split), 30);
        Assert.Contains($"; {split.Labeled.Length} labeled, {split.Unlabeled.Length} unlabeled, {split.Validation.Length} validation |", summary);
        // A fifth of each class's 8 labeled images (one) is drawn for validation.
        Assert.Equal((21, 6, 3), (split.Labeled.Length, split.Unlabeled.Length, split.Validation.Length));
        Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"**{100 * test.Accuracy:F2}%** ({files.Count - right} of {files.Count} wrong)"), summary);
        Assert.Contains("`submission.csv` (path = the test file in the folder, label = its predicted class)", summary);
        using (var confusion = SKBitmap.Decode(Path.Combine(run, "confusion.png")))
            Assert.True(confusion is { Width: > 200, Height: > 200 });
        Assert.True(right < files.Count, "a model of two steps makes mistakes, so the grid of them is drawn");
        // The mistakes in colour: the first one's cell shows its class's colour, enlarged 3×, away from its noise.
        using (var grid = SKBitmap.Decode(Path.Combine(run, "misclassified.png")))
        {
            int first = Enumerable.Range(0, files.Count).First(i => test.Predictions[i] != files[i].c);
            int x = Enumerable.Range(0, 12).First(x => (x + 100 + first % 4) % 7 != 0);
            Assert.Equal(Colours[files[first].c], grid.GetPixel(4 + 3 * x + 1, 4 + 1));
        }
        Assert.Contains("![misclassified](misclassified.png)", summary);
        Assert.Equal($"best validation accuracy {numbers.BestValidationAccuracy:P2} (epoch 1); test accuracy {test.Accuracy:P2}", numbers.Line);
    }

    static string Quoted(string field) => field.Contains(',') || field.Contains('"') ? $"\"{field.Replace("\"", "\"\"")}\"" : field;

    [Fact]
    public async Task A_folder_without_test_images_gets_a_report_that_says_test_accuracy_was_not_measured()
    {
        using var dir = new TempDir();
        var folder = Folder(dir, test: false);
        var (run, options) = await Train(dir, folder);
        var runDir = new RunDirectory(run);
        Assert.Null(runDir.ReadTest());
        Assert.True(runDir.IsFinished);

        var numbers = await RunReport.WriteAsync(run, NoDataset, options);
        Assert.Null(numbers.TestAccuracy);
        Assert.Equal($"best validation accuracy {numbers.BestValidationAccuracy:P2} (epoch 1); no test/ folder: test accuracy not measured", numbers.Line);
        var summary = File.ReadAllText(Path.Combine(run, RunDirectory.Summary));
        Assert.Contains("| test accuracy | no test/ folder: test accuracy not measured |", summary);
        Assert.Contains("3 classes (a rather long class name, with a comma, apple, cherry \"red\")", summary);
        Assert.DoesNotContain("confusion.png", summary);
        Assert.DoesNotContain("submission.csv", summary);
        foreach (var png in new[] { "loss.png", "accuracy.png" }) Assert.True(File.Exists(Path.Combine(run, png)), png);
        foreach (var absent in new[] { "confusion.png", "misclassified.png", RunDirectory.Submission }) Assert.False(File.Exists(Path.Combine(run, absent)), absent);

        // compare shows the run with its validation and no test number, beside itself as a second seed.
        var rows = await Comparison.ReadAsync([run, run], NoDataset);
        Assert.All(rows, r => Assert.Null(r.TestAccuracy));
        var table = ComparisonTable.Lines(rows, 0.5).ToList();
        Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"| {100 * numbers.BestValidationAccuracy:F2}% (1) | — |"), table[2]);
        Assert.EndsWith(" | — | | |", table[^1]);
        // A recipe compare is to train on the folder settles its classes first, as train does.
        var planned = Comparison.Plan(["images-supervised"], dir["compare"], [$"data.folder={System.Text.Json.JsonSerializer.Serialize(folder)}"]);
        Assert.Equal(Classes, planned[0].ClassNames);

        // Test images added after the run make it unfinished: they are not measured yet.
        Image(Path.Combine(folder, "test", Classes[0], "late.png"), 0, 300);
        Assert.False(runDir.IsFinished);
        var e = await Assert.ThrowsAsync<SemisupException>(() => RunReport.WriteAsync(run, NoDataset, options));
        Assert.Equal($"{run}: no test.json; `semisup train --resume {run}` finishes the run, measures its test images and writes the report.", e.Message);
        // As it says: resumed, the finished run measures them with its best checkpoint.
        var resumed = await TrainingRuns.TrainAsync(TrainingRuns.ForResume(run, [], _ => { }), run, true, NoDataset, f => f(null!), _ => { }, CancellationToken.None, options);
        Assert.Equal(1, resumed.Test?.Predictions.Length);
        Assert.NotNull((await RunReport.WriteAsync(run, NoDataset, options)).TestAccuracy);
    }
}
