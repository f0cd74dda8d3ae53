using System.Text.Json.Nodes;
using Semisup.Data;
using Semisup.Runs;
using Semisup.Tests.Cli;
using Semisup.Tests.Data;
using SkiaSharp;

namespace Semisup.Tests.Runs;

/// <summary>`train --data`: a folder's split, and a run on a folder from start to resume, with its bad cases.</summary>
[Collection("mnist")]
public class FolderRunTests
{
    static readonly SKColor[] Hues = [SKColors.Red, SKColors.Green, SKColors.Blue];

    /// <summary>A folder with labeled/&lt;class&gt;/ holding the given counts of 16×16 images (a hue per class, a
    /// different shade per image), and optional unlabeled, validation and test parts.</summary>
    static string MakeFolder(string root, string[] classes, int[] labeled, int unlabeled = 0, int validationPerClass = 0, int testPerClass = 0, bool gray = false)
    {
        void Images(string dir, int c, int n)
        {
            for (int i = 0; i < n; i++)
            {
                var h = Hues[c % Hues.Length];
                byte shade = (byte)(40 + 13 * i % 200);
                var colour = gray ? new SKColor((byte)(60 * c + i), (byte)(60 * c + i), (byte)(60 * c + i)) : new SKColor((byte)(h.Red * shade / 255), (byte)(h.Green * shade / 255), (byte)(h.Blue * shade / 255));
                var file = Path.Combine(root, dir, $"{i:D3}.png");
                if (gray)
                {
                    // A gray PNG (one channel), as MNIST's folders are written.
                    Directory.CreateDirectory(Path.GetDirectoryName(file)!);
                    File.WriteAllBytes(file, ImageExport.EncodePng([.. Enumerable.Range(0, 256).Select(p => p % 5 == 0 ? (byte)255 : colour.Red)], 16, 16, 1));
                }
                else ImageFiles.Write(file, 16, 16, (x, y) => (x + y) % 4 == 0 ? SKColors.White : colour);
            }
        }
        for (int c = 0; c < classes.Length; c++)
        {
            Images(Path.Combine(ImageListing.LabeledFolder, classes[c]), c, labeled[c]);
            if (validationPerClass > 0) Images(Path.Combine(ImageListing.ValidationFolder, classes[c]), c, validationPerClass);
            if (testPerClass > 0) Images(Path.Combine(ImageListing.TestFolder, classes[c]), c, testPerClass);
        }
        if (unlabeled > 0) Images(ImageListing.UnlabeledFolder, 0, unlabeled);
        return root;
    }

    static ImageFolderSet Load(string folder) => ImageFolder.Load(folder, new ImageLoadOptions { Shape = new(3, 16), CacheDir = null });

    [Fact]
    public void Without_a_validation_folder_a_fifth_of_each_class_is_drawn_for_validation_by_the_seed()
    {
        using var dir = new TempDir();
        var set = Load(MakeFolder(dir["photos"], ["a", "b", "c"], [10, 7, 2], unlabeled: 5));
        var split = FolderSplit.Create(set, Split.AllLabels, seed: 1);
        int[] PerClass(int[] indices) => [.. Enumerable.Range(0, 3).Select(c => indices.Count(i => i < 19 && set.Labeled!.Labels[i] == c))];
        // 10 / 5 = 2, 7 / 5 = 1, and a class of 2 still gives one.
        Assert.Equal([2, 1, 1], PerClass(split.Validation));
        Assert.Equal([8, 6, 1], PerClass(split.Labeled));
        // The pool is the 19 labeled images, then the 5 unlabeled ones: every index once.
        Assert.Equal(Enumerable.Range(0, 24), split.Labeled.Concat(split.Validation).Concat(split.Unlabeled).Order());
        Assert.Equal([19, 20, 21, 22, 23], split.Unlabeled);
        Assert.Equal(split.Validation, FolderSplit.Create(set, Split.AllLabels, seed: 1).Validation);
        var draws = Enumerable.Range(1, 6).Select(s => string.Join(",", FolderSplit.Create(set, Split.AllLabels, (ulong)s).Validation)).Distinct().Count();
        Assert.True(draws > 1, "every seed drew the same validation images");
    }

    [Fact]
    public void A_label_count_keeps_as_many_per_class_and_the_other_labeled_images_join_the_unlabeled()
    {
        using var dir = new TempDir();
        var set = Load(MakeFolder(dir["photos"], ["a", "b", "c"], [6, 6, 6], unlabeled: 2, validationPerClass: 1));
        var split = FolderSplit.Create(set, 6, seed: 3);
        Assert.Empty(split.Validation); // the folder's own validation part is used
        Assert.Equal([2, 2, 2], Enumerable.Range(0, 3).Select(c => split.Labeled.Count(i => set.Labeled!.Labels[i] == c)));
        Assert.Equal(18 - 6 + 2, split.Unlabeled.Length);
        Assert.Contains("multiple of 3", Assert.Throws<SettingException>(() => FolderSplit.Create(set, 4, 1)).Message);
        Assert.Contains("7 images per class, but class 'a' has only 6 labeled", Assert.Throws<SettingException>(() => FolderSplit.Create(set, 21, 1)).Message);
    }

    [Fact]
    public void A_class_of_one_labeled_image_and_no_validation_folder_is_refused_with_what_to_add()
    {
        using var dir = new TempDir();
        var set = Load(MakeFolder(dir["photos"], ["cat", "dog"], [5, 1]));
        var e = Assert.Throws<SemisupException>(() => FolderSplit.Create(set, Split.AllLabels, 1));
        Assert.Contains("class 'dog' has 1 labeled image, too few to keep one for validation; add a validation/ folder", e.Message);
    }

    [Fact]
    public void The_natural_shape_is_gray_when_every_image_is_and_the_common_square_side()
    {
        using var dir = new TempDir();
        var gray = MakeFolder(dir["gray"], ["a", "b"], [2, 2], gray: true);
        var paths = Directory.GetFiles(gray, "*.png", SearchOption.AllDirectories);
        Assert.Equal(new ImageShape(1, 16), ImageDecoder.NaturalShape(paths));
        var colour = MakeFolder(dir["colour"], ["a", "b"], [2, 2]);
        Assert.Equal(new ImageShape(3, 16), ImageDecoder.NaturalShape(Directory.GetFiles(colour, "*.png", SearchOption.AllDirectories)));
        ImageFiles.Write(Path.Combine(colour, "labeled", "a", "wide.png"), 40, 20, (_, _) => SKColors.Red);
        Assert.Equal(new ImageShape(3, 32), ImageDecoder.NaturalShape(Directory.GetFiles(colour, "*.png", SearchOption.AllDirectories)));
    }

    static JsonNode Recorded(string run) => JsonNode.Parse(File.ReadAllText(Path.Combine(run, RunDirectory.Recipe)))!;

    [Fact]
    public async Task Train_on_a_folder_records_its_classes_and_shape_tests_once_and_resumes_only_on_the_same_classes()
    {
        int threads = TorchSharp.torch.get_num_threads();
        try { await TrainAndResume(); }
        finally { TorchSharp.torch.set_num_threads(threads); }
    }

    async Task TrainAndResume()
    {
        using var dir = new TempDir();
        var photos = MakeFolder(dir["photos"], ["cat", "dog", "owl"], [6, 6, 6], unlabeled: 12, testPerClass: 2);
        string[] small = ["--epochs", "1", "--threads", "1", "--set", "run.stepsPerEpoch=2", "--set", "run.labeledBatch=4", "--set", "run.unlabeledBatch=4"];
        var (code, output, err) = await CliCapture.Run(["train", "--data", photos, "--out", dir["run"], .. small]);
        Assert.True(code == 0, err);
        Assert.Contains("training images-fast: fixmatch, 15 labeled / 12 unlabeled / 3 validation of 3 classes at 3×16×16", output);
        var data = Recorded(dir["run"])["data"]!;
        Assert.Equal(Path.GetFullPath(photos), data["folder"]!.GetValue<string>());
        Assert.Equal(["cat", "dog", "owl"], data["classes"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal((3, 16, -1), (data["channels"]!.GetValue<int>(), data["size"]!.GetValue<int>(), data["labels"]!.GetValue<int>()));
        var test = new RunDirectory(dir["run"]).ReadTest()!;
        Assert.Equal(6, test.Predictions.Length);

        // The folder's classes change: the run does not continue on other data.
        foreach (var part in new[] { "labeled", "test" }) Directory.Move(Path.Combine(photos, part, "owl"), Path.Combine(photos, part, "bat"));
        (code, _, err) = await CliCapture.Run("train", "--resume", dir["run"], "--epochs", "2");
        Assert.NotEqual(0, code);
        Assert.Contains("its classes are now bat, cat, dog, but the run recorded cat, dog, owl", err);
    }

    [Fact]
    public async Task FixMatch_on_a_folder_without_unlabeled_images_says_what_to_do_and_leaves_no_run_behind()
    {
        using var dir = new TempDir();
        var photos = MakeFolder(dir["photos"], ["cat", "dog"], [5, 5]);
        var (code, _, err) = await CliCapture.Run("train", "--data", photos, "--out", dir["run"], "--epochs", "1", "--threads", "1", "--set", "run.labeledBatch=4");
        Assert.NotEqual(0, code);
        Assert.Contains("no unlabeled images for the fixmatch method; put them in unlabeled/, take fewer labels, or train the supervised recipe images-supervised", err);
        Assert.False(Directory.Exists(dir["run"]));
        Assert.Contains("--resume continues the run in its directory with the recipe and data it recorded; leave out --recipe, --out and --data.",
            (await CliCapture.Run("train", "--resume", dir["run"], "--data", photos)).Err);
    }
}
