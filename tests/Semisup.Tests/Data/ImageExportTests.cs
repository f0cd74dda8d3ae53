using Semisup.Data;

namespace Semisup.Tests.Data;

[Collection("mnist")]
public class ImageExportTests(MnistFixture mnist)
{
    static ImageLoadOptions Gray28 => new() { Shape = new(1, 28), CacheDir = null, Threads = 2 };

    /// <summary>A small split of the run's kind: 100 labeled (10 a class), 20 validation, 30 unlabeled images.</summary>
    Split SmallSplit(ulong seed)
    {
        var s = Split.Create("mnist", mnist.Files.TrainLabels.Data, 100, seed);
        return s with { Validation = s.Validation[..20], Unlabeled = s.Unlabeled[..30] };
    }

    byte[] Train(int i) => mnist.Files.TrainImages.Data.AsSpan(i * 784, 784).ToArray();

    [Fact]
    public void MNIST_exported_as_folders_loads_back_to_the_same_bytes_labels_and_split()
    {
        using var dir = new TempDir();
        var split = SmallSplit(3);
        var written = ImageExport.Write(mnist.Files, split, ClassNames.Of(Datasets.Mnist), dir["mnist"], test: [.. Enumerable.Range(0, 25)]);
        Assert.Equal(new ExportCounts(100, 30, 20, 25), written);
        Assert.Equal(split.Labeled, Split.Load(Path.Combine(dir["mnist"], "split.json"), 60000).Labeled);

        var set = ImageFolder.Load(dir["mnist"], Gray28);
        Assert.Equal(["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"], set.Classes);
        var y = mnist.Files.TrainLabels.Data;
        void Same(ImagePartition part, int[] indices, Func<int, byte[]> image, Func<int, int> label)
        {
            Assert.Equal(indices.Length, part.Count);
            for (int k = 0; k < indices.Length; k++)
            {
                Assert.Equal(image(indices[k]), part.Image(k).ToArray());
                Assert.Equal(label(indices[k]), part.Labels[k]);
            }
        }
        // Labeled and validation come back by class, then by index in the file; unlabeled by index.
        Same(set.Labeled!, [.. split.Labeled.OrderBy(i => y[i]).ThenBy(i => i)], Train, i => y[i]);
        Same(set.Validation!, [.. split.Validation.OrderBy(i => y[i]).ThenBy(i => i)], Train, i => y[i]);
        Same(set.Unlabeled!, split.Unlabeled, Train, _ => -1);
        var ty = mnist.Files.TestLabels.Data;
        Same(set.Test!, [.. Enumerable.Range(0, 25).OrderBy(i => ty[i]).ThenBy(i => i)], i => mnist.Files.TestImages.Data.AsSpan(i * 784, 784).ToArray(), i => ty[i]);
        Assert.Equal("labeled/0/" + split.Labeled.Where(i => y[i] == 0).Min().ToString("00000") + ".png", set.Labeled!.Paths[0]);
        Assert.Empty(set.Warnings);
    }

    [Fact]
    public void An_export_refuses_a_folder_in_use_and_leaves_nothing_when_stopped()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir["used"]);
        File.WriteAllText(Path.Combine(dir["used"], "keep.txt"), "mine");
        Assert.Equal($"{dir["used"]}: already exists; choose a new folder, or remove it first.",
            Assert.Throws<SemisupException>(() => ImageExport.Write(mnist.Files, SmallSplit(1), ClassNames.Of(Datasets.Mnist), dir["used"], test: [0])).Message);
        Assert.Equal(["keep.txt"], Directory.GetFileSystemEntries(dir["used"]).Select(Path.GetFileName));
        using var stop = new CancellationTokenSource();
        stop.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => ImageExport.Write(mnist.Files, SmallSplit(1), ClassNames.Of(Datasets.Mnist), dir["new"], test: [0], cancel: stop.Token));
        Assert.Equal([dir["used"]], Directory.GetFileSystemEntries(dir.Path)); // no new folder, no staging left
    }

    [Fact]
    public void Class_folders_sort_in_label_order()
    {
        Assert.Equal(ClassNames.Of(Datasets.Mnist), ImageExport.FolderNames(ClassNames.Of(Datasets.Mnist)));
        var fashion = ImageExport.FolderNames(ClassNames.Of(Datasets.FashionMnist));
        Assert.Equal("0-T-shirt", fashion[0]);
        Assert.Equal("9-Boot", fashion[9]);
        Assert.Equal(fashion, fashion.Order(StringComparer.Ordinal));
        var eleven = ImageExport.FolderNames([.. Enumerable.Range(0, 11).Select(i => $"c{10 - i}")]);
        Assert.Equal(["00-c10", "01-c9"], eleven.Take(2));
        Assert.Equal(eleven, eleven.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void The_colour_set_is_the_same_bytes_for_a_seed_and_loads_as_ten_classes()
    {
        using var dir = new TempDir();
        var options = new ColourShapesOptions(Labels: 20, Unlabeled: 10, Validation: 10, Test: 10, Seed: 4);
        var names = ClassNames.Of(Datasets.Mnist);
        Assert.Equal(new ExportCounts(20, 10, 10, 10), ColourShapes.Write(mnist.Files, "mnist", names, options, dir["a"], threads: 1));
        ColourShapes.Write(mnist.Files, "mnist", names, options, dir["b"], threads: 2);
        ColourShapes.Write(mnist.Files, "mnist", names, options with { Seed = 5 }, dir["c"]);
        static string[] Files(string root) => [.. Directory.GetFiles(root, "*.png", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(root, f)).Order(StringComparer.Ordinal)];
        Assert.Equal(Files(dir["a"]), Files(dir["b"]));
        Assert.All(Files(dir["a"]), f => Assert.Equal(File.ReadAllBytes(Path.Combine(dir["a"], f)), File.ReadAllBytes(Path.Combine(dir["b"], f))));
        Assert.NotEqual(File.ReadAllBytes(Path.Combine(dir["a"], "test", "7", "00000.png")), File.ReadAllBytes(Path.Combine(dir["c"], "test", "7", "00000.png")));

        var set = ImageFolder.Load(dir["a"], new ImageLoadOptions { Shape = new(3, 32), CacheDir = null });
        Assert.Equal(10, set.Classes.Count);
        Assert.Equal(Enumerable.Range(0, 10).SelectMany(c => new[] { c, c }), set.Labeled!.Labels);
        Assert.All(set.Labeled.Sources, s => Assert.Equal(new ImageSourceInfo(32, 32, ImageKind.Rgb), s));
        Assert.Equal((10, 10, 10), (set.Unlabeled!.Count, set.Validation!.Count, set.Test!.Count));
        Assert.Equal(mnist.Files.TestLabels.Data[0], (byte)set.Test.Labels[Array.IndexOf(set.Test.Paths, "test/7/00000.png")]);
    }

    [Fact]
    public void A_colour_image_shows_its_shape_against_every_part_of_its_background()
    {
        // The same seed with and without the shape draws the same background: pixels away from the shape are equal, and
        // where the shape's ink is full they differ by at least the promised contrast, less the pixel noise (16 and 8 a channel).
        var blank = new byte[784];
        foreach (int image in Enumerable.Range(0, 100))
        {
            var shape = Train(image);
            ulong seed = 1000 + (ulong)image;
            byte[] with = ColourShapes.Render(shape, seed), without = ColourShapes.Render(blank, seed);
            double Distance(int p) => Math.Sqrt(Enumerable.Range(0, 3).Sum(c => Math.Pow(with[3 * p + c] - without[3 * p + c], 2)));
            Assert.True(Enumerable.Range(0, 32 * 32).Count(p => Distance(p) > 0) > 50, $"image {image}: the shape is hardly there");
            // The one placement of the 28×28 shape in 32×32 under which every changed pixel is under its ink.
            var (ox, oy) = (from dx in Enumerable.Range(0, 5) from dy in Enumerable.Range(0, 5) select (dx, dy)).Single(o => Enumerable.Range(0, 32 * 32).All(p =>
            {
                int sx = p % 32 - o.dx, sy = p / 32 - o.dy;
                return sx is >= 0 and < 28 && sy is >= 0 and < 28 && shape[sy * 28 + sx] > 0 || Distance(p) == 0;
            }));
            for (int i = 0; i < 784; i++)
                if (shape[i] == 255)
                {
                    double distance = Distance((i / 28 + oy) * 32 + i % 28 + ox);
                    Assert.True(distance >= ColourShapes.MinContrast - (16 + 8) * Math.Sqrt(3), $"image {image}: ink at {i} is {distance:F0} from its background");
                }
        }
    }
}
