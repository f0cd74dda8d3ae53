using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Semisup.Data;
using Semisup.Models;
using Semisup.Runs;
using Semisup.Tests.Cli;
using Semisup.Tests.Data;
using Semisup.Tests.Training;
using Semisup.Training;

namespace Semisup.Tests.Runs;

/// <summary>predict and evaluate with a checkpoint trained on a folder of photos: class names in every answer, the
/// probabilities and accuracies of the images decoded by hand, and the bad inputs' one-line messages.</summary>
[Collection("mnist")]
public class FolderModelTests(PhotoRun photos) : IClassFixture<PhotoRun>
{
    /// <summary>Runs a command line with the image cache under the fixture's folder (XDG_CACHE_HOME), never the user's.</summary>
    async Task<(int Code, string Out, string Err)> Cli(params string[] args)
    {
        var before = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        Environment.SetEnvironmentVariable("XDG_CACHE_HOME", photos.Cache);
        try { return await CliCapture.Run([.. args, "--threads", "1"]); }
        finally { Environment.SetEnvironmentVariable("XDG_CACHE_HOME", before); }
    }

    static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    [Fact]
    public async Task Predict_names_each_files_class_with_the_probabilities_of_the_image_decoded_by_hand()
    {
        using var dir = new TempDir();
        var folder = Path.Combine(photos.Photos, "test");
        var (code, output, error) = await Cli("predict", "-c", photos.Checkpoint, "-i", folder, "--out", dir["p.csv"]);
        Assert.True(code == 0, error);
        // The files in ordinal order, class folder by class folder.
        var files = photos.Test.Select(t => t.File).ToList();
        var reference = photos.Reference(files);
        var rows = Lines(File.ReadAllText(dir["p.csv"]));
        Assert.Equal("path,class,probability,cat,dog,owl", rows[0]);
        Assert.Equal(files.Count, rows.Length - 1);
        var printed = Lines(output);
        for (int i = 0; i < files.Count; i++)
        {
            var fields = rows[i + 1].Split(',');
            var p = fields[3..].Select(f => float.Parse(f, CultureInfo.InvariantCulture)).ToArray();
            int best = Array.IndexOf(reference[i], reference[i].Max());
            Assert.Equal((files[i], PhotoRun.Classes[best], fields[2]), (fields[0], fields[1], fields[3 + best]));
            Assert.Equal(1.0, p.Sum(), 5);
            Assert.All(p.Zip(reference[i]), q => Assert.Equal(q.Second, q.First, 5e-6f));
            Assert.StartsWith($"{files[i]}: {PhotoRun.Classes[best]}  (", printed[i]);
            Assert.EndsWith($"[cat:{reference[i][0].ToString("F3", CultureInfo.InvariantCulture)} dog:{reference[i][1].ToString("F3", CultureInfo.InvariantCulture)} owl:{reference[i][2].ToString("F3", CultureInfo.InvariantCulture)}]", printed[i]);
        }
    }

    [Fact]
    public async Task Predict_searches_a_folder_through_in_ordinal_order_leaving_out_files_not_named_as_images()
    {
        using var dir = new TempDir();
        PhotoRun.Photo(dir["new/b.png"], 1, 7);
        PhotoRun.Photo(dir["new/A.jpg"], 0, 8);
        PhotoRun.Photo(dir["new/sub/c.webp"], 2, 9);
        File.WriteAllText(dir["new/notes.txt"], "not an image");
        var (code, output, error) = await Cli("predict", "-c", photos.Checkpoint, "-i", dir["new"]);
        Assert.True(code == 0, error);
        Assert.Equal([dir["new/A.jpg"], dir["new/b.png"], dir["new/sub/c.webp"]], Lines(output).Select(l => l[..l.IndexOf(": ")]));
        Assert.Contains("1 file is not PNG, JPEG, BMP, GIF or WebP by name and left out (e.g. " + dir["new/notes.txt"] + ")", error);
        // One file: its answer; an unreadable one is the command's error.
        var one = await Cli("predict", "-c", photos.Checkpoint, "-i", dir["new/b.png"]);
        Assert.Equal(0, one.Code);
        Assert.StartsWith($"{dir["new/b.png"]}: ", one.Out);
        File.WriteAllText(dir["bad.png"], "not an image");
        var bad = await Cli("predict", "-c", photos.Checkpoint, "-i", dir["bad.png"]);
        Assert.Equal((1, $"error: {dir["bad.png"]}: not an image (PNG, JPEG, BMP, GIF or WebP expected); replace or remove it.\n"), (bad.Code, bad.Err));
    }

    /// <summary>Accuracy and mean cross-entropy of the test images, from the reference probabilities.</summary>
    (double Accuracy, double Loss) ByHand()
    {
        var p = photos.Reference(photos.Test.Select(t => t.File));
        var labels = photos.Test.Select(t => t.Label).ToArray();
        double correct = labels.Where((c, i) => Array.IndexOf(p[i], p[i].Max()) == c).Count();
        return (correct / labels.Length, labels.Select((c, i) => -Math.Log(p[i][c])).Average());
    }

    [Fact]
    public async Task Evaluate_on_a_labeled_folder_scores_as_the_images_decoded_by_hand_do()
    {
        var (accuracy, loss) = ByHand();
        var options = new ImageLoadOptions { CacheDir = photos.Cache };
        var report = await Scoring.EvaluateAsync([photos.Checkpoint], "test", _ => throw new InvalidOperationException(), data: Path.Combine(photos.Photos, "test"), images: options);
        var e = report.Members[0].Evaluation;
        Assert.Equal(accuracy, e.Accuracy);
        Assert.Equal(loss, e.Loss, 5);
        Assert.Equal(photos.Test.Count, e.Count);
        // The data set folder itself means its test/ part; without --data, the folder the run recorded.
        var line = $"{Path.Combine(photos.Photos, "test")} accuracy {100 * accuracy:F2}%";
        var layout = await Cli("evaluate", "-c", photos.Checkpoint, "--data", photos.Photos);
        Assert.True(layout.Code == 0, layout.Err);
        Assert.Contains(line, layout.Out);
        var recorded = await Cli("evaluate", "-c", photos.Checkpoint);
        Assert.Contains($"test accuracy {100 * accuracy:F2}% ", recorded.Out);
        Assert.Contains("most frequent mistakes (true as predicted)", recorded.Out);
    }

    [Fact]
    public async Task Evaluate_finds_the_folders_test_and_validation_images_as_the_run_measured_them()
    {
        var run = new RunDirectory(photos.Run);
        var best = run.ReadMetrics().Last();
        var test = JsonNode.Parse(File.ReadAllText(Path.Combine(photos.Run, "test.json")))!;
        // Raw: training recorded the loss before it fitted the temperature.
        var validation = await Scoring.EvaluateAsync([photos.Checkpoint], "validation", _ => throw new InvalidOperationException(), images: new() { CacheDir = photos.Cache }, raw: true);
        Assert.Equal(best.ValidationAccuracy, validation.Members[0].Evaluation.Accuracy, 12);
        Assert.Equal(best.ValidationLoss, validation.Members[0].Evaluation.Loss, 5);
        Assert.Equal(3, validation.Members[0].Evaluation.Count); // a fifth of each class's 8 labeled images, at least one
        var tested = await Scoring.EvaluateAsync([photos.Checkpoint], "test", _ => throw new InvalidOperationException(), images: new() { CacheDir = photos.Cache });
        Assert.Equal(test["accuracy"]!.GetValue<double>(), tested.Members[0].Evaluation.Accuracy, 12);
        Assert.Equal(test["predictions"]!.AsArray().Select(p => p!.GetValue<long>()), tested.Members[0].Evaluation.Predictions);
    }

    [Fact]
    public async Task A_class_folder_the_model_does_not_know_is_a_one_line_error()
    {
        using var dir = new TempDir();
        PhotoRun.Photo(dir["eval/cat/a.png"], 0, 1);
        PhotoRun.Photo(dir["eval/bat/b.png"], 1, 2);
        var (code, output, error) = await Cli("evaluate", "-c", photos.Checkpoint, "--data", dir["eval"]);
        Assert.Equal((1, ""), (code, output));
        Assert.Equal($"error: {dir["eval/bat"]}: class 'bat' is not one of the model's classes (cat, dog, owl); rename or remove the folder.\n", error);
        // A data set folder without test/ is not scored on its training images.
        PhotoRun.Photo(dir["set/labeled/cat/a.png"], 0, 1);
        var set = await Cli("evaluate", "-c", photos.Checkpoint, "--data", dir["set"]);
        Assert.Equal($"error: {dir["set"]}: a data set folder without test/; give a folder of <class>/ folders of labeled images the model did not train on.\n", set.Err);
    }

    [Fact]
    public async Task Evaluate_says_when_the_folder_trained_on_is_gone_or_has_no_test_part()
    {
        using var dir = new TempDir();
        File.Copy(photos.Checkpoint, dir["gone.ckpt"]);
        ForgedCheckpoints.Rewrite(dir["gone.ckpt"], h => h["recipe"]!["data"]!["folder"] = dir["nowhere"]);
        var gone = await Cli("evaluate", "-c", dir["gone.ckpt"]);
        Assert.Equal($"error: {dir["nowhere"]}: the folder {dir["gone.ckpt"]} was trained on is gone; give --data with labeled images of its classes to score on.\n", gone.Err);
        PhotoRun.Photo(dir["untested/labeled/cat/a.png"], 0, 1);
        File.Copy(photos.Checkpoint, dir["untested.ckpt"]);
        ForgedCheckpoints.Rewrite(dir["untested.ckpt"], h => h["recipe"]!["data"]!["folder"] = dir["untested"]);
        var untested = await Cli("evaluate", "-c", dir["untested.ckpt"]);
        Assert.Equal($"error: {dir["untested"]}: no test/ folder to score on; give --data with labeled images of the model's classes, or --split validation.\n", untested.Err);
    }

    [Fact]
    public void A_gray_model_of_another_size_decodes_photos_at_its_own_shape()
    {
        using var dir = new TempDir();
        var (_, header) = Checkpoint.Load(photos.Checkpoint);
        var gray = header.Recipe with { Data = header.Recipe.Data with { Channels = 1, Size = 24, Classes = ["ant", "bee"] } };
        using (var model = Factory.Model(gray)) Checkpoint.Save(dir["gray.ckpt"], model, gray, header.State, null);
        var files = photos.Test.Take(5).Select(t => t.File).ToList();
        var reference = PhotoRun.Reference(dir["gray.ckpt"], new(1, 24), files);
        var answers = new List<PredictedImage>();
        foreach (var file in files)
        {
            var (images, classes, failures) = Prediction.Predict([dir["gray.ckpt"]], file, 20);
            Assert.Equal(["ant", "bee"], classes);
            Assert.Empty(failures);
            answers.Add(Assert.Single(images));
        }
        Assert.All(answers.Zip(reference), a => Assert.Equal(a.Second, a.First.Probabilities, (x, y) => Math.Abs(x - y) < 1e-6f));
        Assert.All(answers, a => Assert.False(a.Blank));
    }

    [Fact]
    public void Members_of_other_classes_or_another_shape_are_refused_naming_both_files()
    {
        using var dir = new TempDir();
        var digits = Path.Combine(Repo.Root, "models", "gamma-seed1", "best.ckpt");
        var classes = Assert.Throws<SemisupException>(() => new Ensemble([photos.Checkpoint, digits]));
        Assert.Equal($"{digits} has the classes '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', {photos.Checkpoint} 'cat', 'dog', 'owl': an ensemble's members need the same classes in the same order.", classes.Message);
        // The same classes at 16×16.
        var (_, header) = Checkpoint.Load(photos.Checkpoint);
        var small = header.Recipe with { Data = header.Recipe.Data with { Size = 16 } };
        using (var model = Factory.Model(small)) Checkpoint.Save(dir["small.ckpt"], model, small, header.State, null);
        var shape = Assert.Throws<SemisupException>(() => new Ensemble([photos.Checkpoint, dir["small.ckpt"]]));
        Assert.Equal($"{dir["small.ckpt"]} takes 3×16×16 images, {photos.Checkpoint} 3×32×32: an ensemble's members need images of one shape.", shape.Message);
    }
}
