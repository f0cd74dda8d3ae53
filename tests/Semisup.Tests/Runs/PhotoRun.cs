using Semisup.Data;
using Semisup.Methods;
using Semisup.Models;
using Semisup.Runs;
using Semisup.Tests.Data;
using Semisup.Training;
using SkiaSharp;
using static TorchSharp.torch;

namespace Semisup.Tests.Runs;

/// <summary>A folder of small colour photos of three classes, cat, dog and owl, in the layout (labeled/, unlabeled/,
/// test/; no validation/, so it is drawn from labeled/), of several sizes and formats; and a run trained on it for a
/// few steps (3×32×32, a narrow airbench network), once per test class. The reference answers are computed here
/// without Ensemble, Prediction or Scoring: each file decoded, its bytes divided by 255, the network called.</summary>
public sealed class PhotoRun : IDisposable
{
    public static readonly string[] Classes = ["cat", "dog", "owl"];
    static readonly SKColor[] Colours = [new(200, 70, 40), new(40, 160, 60), new(50, 70, 200)];
    static readonly (int W, int H)[] Sizes = [(40, 30), (30, 40), (48, 48), (36, 36), (64, 20)];

    readonly TempDir dir = new();
    public string Root => dir.Path;
    public string Photos => dir["photos"];
    public string Cache => dir["cache"];
    public string Run => dir["run"];
    public string Checkpoint => Path.Combine(Run, RunDirectory.Best);

    /// <summary>The test images: each file and its class's index.</summary>
    public IReadOnlyList<(string File, int Label)> Test { get; }

    public PhotoRun()
    {
        var test = new List<(string, int)>();
        for (int c = 0; c < Classes.Length; c++)
        {
            for (int i = 0; i < 8; i++) Photo(Path.Combine(Photos, "labeled", Classes[c], $"{i}.png"), c, i);
            for (int i = 0; i < 4; i++) test.Add((Photo(Path.Combine(Photos, "test", Classes[c], $"t{i}.{(i % 2 == 0 ? "png" : "jpg")}"), c, 100 + i), c));
            Photo(Path.Combine(Photos, "unlabeled", $"{Classes[c]}-u.png"), c, 200);
        }
        Test = test;
        var recipe = FolderData.Resolve(new Semisup.Recipes.Recipe
        {
            Name = "photos-test",
            Data = new(Labels: -1, Folder: Photos),
            Model = new AirbenchConfig(Width: 8),
            Method = new Supervised(),
            Run = new(Epochs: 1, StepsPerEpoch: 3, LabeledBatch: 6, UnlabeledBatch: 6, Threads: 1, EvalBatch: 5),
        });
        Assert.Equal((3, 32, 32, 3), recipe.Input);
        TrainingRuns.TrainAsync(recipe, Run, false, _ => throw new InvalidOperationException("a folder run locates no dataset"), run => run(new Quiet()),
            _ => { }, default, new ImageLoadOptions { CacheDir = Cache, Threads = 2 }).GetAwaiter().GetResult();
    }

    sealed class Quiet : ITrainingObserver;

    /// <summary>A photo of class <paramref name="c"/>: its colour, shaded across, with a few pixels of the image's own.</summary>
    public static string Photo(string path, int c, int image)
    {
        var (w, h) = Sizes[image % Sizes.Length];
        var random = new Random(1000 * c + image);
        var speckles = Enumerable.Range(0, 12).Select(_ => (random.Next(w), random.Next(h))).ToHashSet();
        var colour = Colours[c];
        SKColor At(int x, int y) => speckles.Contains((x, y)) ? new((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256))
            : new((byte)Math.Clamp(colour.Red + 2 * x - 30, 0, 255), (byte)Math.Clamp(colour.Green + y - 20, 0, 255), colour.Blue);
        return ImageFiles.Write(path, w, h, At, path.EndsWith(".jpg") ? SKEncodedImageFormat.Jpeg : path.EndsWith(".webp") ? SKEncodedImageFormat.Webp : SKEncodedImageFormat.Png);
    }

    /// <summary>The checkpoint's class probabilities of each file, by hand: decoded at 3×32×32, bytes / 255, the network.</summary>
    public float[][] Reference(IEnumerable<string> files) => Reference(Checkpoint, new(3, 32), files);

    /// <summary>A checkpoint's class probabilities of each file, by hand: decoded at <paramref name="shape"/>, bytes / 255,
    /// the network, its logits divided by the temperature in the checkpoint's header (training fitted one).</summary>
    public static float[][] Reference(string checkpoint, ImageShape shape, IEnumerable<string> files)
    {
        var (model, header) = Semisup.Training.Checkpoint.Load(checkpoint);
        double t = header.Temperature ?? 1;
        using (model)
        {
            model.eval();
            using var _ = no_grad();
            return [.. files.Select(f =>
            {
                using var scope = NewDisposeScope();
                var x = tensor(ImageDecoder.DecodeFile(f, shape).Select(b => b / 255f).ToArray()).reshape(1, shape.Channels, shape.Size, shape.Size);
                return nn.functional.softmax(model.call(x) / t, 1).data<float>().ToArray();
            })];
        }
    }

    public void Dispose() => dir.Dispose();
}
