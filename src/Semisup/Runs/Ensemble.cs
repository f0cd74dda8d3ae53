using Semisup.Data;
using Semisup.Models;
using Semisup.Recipes;
using Semisup.Training;
using static TorchSharp.torch;

namespace Semisup.Runs;

/// <summary>Checkpoints loaded together to evaluate or to predict: one model, or several whose class probabilities
/// are averaged. Members must share their classes (names and order) and input shape. Prediction is serialized, as
/// TorchSharp modules are not thread-safe, so a server may call it from any thread.</summary>
public sealed class Ensemble : IDisposable
{
    /// <summary>Images go through the network in batches of this many, so memory does not grow with their number.</summary>
    public const int Batch = 100;

    readonly Lock gate = new();

    public List<(string Path, Classifier Model, CheckpointHeader Header)> Members { get; } = [];

    /// <summary>The first member's recipe: its classes and input shape are every member's.</summary>
    public Recipe Recipe => Members[0].Header.Recipe;

    /// <summary>The class names, in the order of the probabilities.</summary>
    public IReadOnlyList<string> Classes => Recipe.ClassNames;

    /// <summary>Channels, height and width of the images the members take.</summary>
    public (int Channels, int Height, int Width) Input => (Recipe.Input.Channels, Recipe.Input.Height, Recipe.Input.Width);

    /// <summary>The shape <see cref="ImageDecoder"/> decodes a photo to for these members (their inputs are square).</summary>
    public ImageShape Shape => new(Input.Channels, Input.Height);

    /// <summary>Whether the members learned from a built-in dataset (MNIST, Fashion-MNIST): light strokes on black,
    /// 1×28×28, so a drawing or a photo is prepared as MNIST was (<see cref="DigitImage"/>) rather than resized as a
    /// folder's images were when the members trained.</summary>
    public bool Digits => Recipe.Data.Folder == null;

    /// <param name="warn">Hears a warning for each checkpoint loaded unverified (<see cref="Checkpoint.Unverified"/>).</param>
    /// <param name="raw">Score without the checkpoints' temperatures: uncalibrated probabilities.</param>
    public Ensemble(IReadOnlyList<string> checkpoints, Action<string>? warn = null, bool raw = false)
    {
        try
        {
            foreach (var path in checkpoints)
            {
                var (model, loaded) = Checkpoint.Load(path);
                if (raw) model.Temperature = null;
                Members.Add((path, model, loaded));
                if (Checkpoint.Unverified(path, loaded) is { } warning) warn?.Invoke(warning);
            }
            var (first, _, header) = Members[0];
            foreach (var (other, _, theirs) in Members.Skip(1))
            {
                if (!theirs.Recipe.ClassNames.SequenceEqual(header.Recipe.ClassNames))
                    throw new SemisupException($"{other} has the classes {Names(theirs.Recipe.ClassNames)}, {first} {Names(header.Recipe.ClassNames)}: an ensemble's members need the same classes in the same order.");
                if (theirs.Recipe.Input != header.Recipe.Input)
                    throw new SemisupException($"{other} takes {ShapeOf(theirs.Recipe)} images, {first} {ShapeOf(header.Recipe)}: an ensemble's members need images of one shape.");
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    static string Names(IReadOnlyList<string> classes) => string.Join(", ", classes.Take(12).Select(c => $"'{c}'")) + (classes.Count > 12 ? $" … ({classes.Count})" : "");

    static string ShapeOf(Recipe r) => $"{r.Input.Channels}×{r.Input.Height}×{r.Input.Width}";

    /// <summary>The members' averaged class probabilities ([n × classes], row-major) of n images of <see cref="Input"/>'s
    /// shape (C×H×W each, row-major), as floats in [0, 1]; with <paramref name="shifted"/>, each averaged over the image
    /// and its four one-pixel shifts.</summary>
    /// <param name="raw">Without the members' temperatures.</param>
    public float[] Probabilities(float[] pixels, bool shifted = false, bool raw = false)
    {
        using var images = tensor(pixels);
        return Probabilities(images, shifted, raw);
    }

    /// <summary>As for floats, of images as <see cref="ImageDecoder"/> decodes them (bytes 0–255, C×H×W each), converted
    /// to floats as training and evaluation convert them (<see cref="ImageSet.ToFloats"/>).</summary>
    public float[] Probabilities(byte[] pixels, bool shifted = false, bool raw = false)
    {
        using var images = tensor(pixels, ScalarType.Byte);
        return Probabilities(images, shifted, raw);
    }

    float[] Probabilities(Tensor flat, bool shifted, bool raw)
    {
        var (c, h, w) = Input;
        long size = (long)c * h * w, count = flat.shape[0] / size;
        if (count * size != flat.shape[0]) throw new ArgumentException($"{flat.shape[0]} values are not a whole number of {c}×{h}×{w} images");
        using var images = flat.reshape(count, c, h, w);
        var all = new List<float>((int)count * Classes.Count);
        lock (gate)
            for (long start = 0; start < count; start += Batch)
            {
                using var scope = NewDisposeScope();
                var batch = ImageSet.ToFloats(images.narrow(0, start, Math.Min(Batch, count - start)));
                all.AddRange(Evaluator.Average(Members.Select(m => Evaluator.Probabilities(m.Model, batch, shifted, raw)).ToList()));
            }
        return [.. all];
    }

    public void Dispose()
    {
        foreach (var m in Members) m.Model.Dispose();
    }
}
