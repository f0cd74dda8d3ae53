using Semisup.Data;
using static TorchSharp.torch;
using Semisup.Recipes;
using Semisup.Training;

namespace Semisup.Runs;

/// <summary>One image's answer: its name, the classes' probabilities, and whether it held any ink.</summary>
/// <param name="Shifted">With test-time shifts, the probabilities averaged over the image and its four one-pixel shifts.</param>
public sealed record PredictedImage(string Name, float[] Probabilities, bool Blank, float[]? Shifted = null)
{
    public int Class => Array.IndexOf(Probabilities, Probabilities.Max());
    public int? ShiftedClass => Shifted is { } p ? Array.IndexOf(p, p.Max()) : null;
}

/// <summary>What predict does: images through a checkpoint, or an ensemble's averaged probabilities.</summary>
public static class Prediction
{
    /// <summary>Images go through the network in batches of this many, so memory does not grow with their number.</summary>
    public const int Batch = 100;

    /// <returns>The answers, the class names, and the files of a directory that could not be read, each with its reason.</returns>
    public static (IReadOnlyList<PredictedImage> Images, IReadOnlyList<string> Classes, IReadOnlyList<string> Failures) Predict(
        IReadOnlyList<string> checkpoints, string input, int limit, bool shifts = false)
    {
        using var members = new Members(checkpoints);
        var (names, pixels, failures) = DigitInputs.Read(input, limit);
        int side = DigitImage.Side, size = side * side;
        float[] Probabilities(bool shifted)
        {
            var all = new List<float>();
            for (int start = 0; start < names.Count; start += Batch)
            {
                int n = Math.Min(Batch, names.Count - start);
                using var images = tensor(pixels.AsSpan(start * size, n * size).ToArray()).reshape(n, 1, side, side);
                all.AddRange(Evaluator.Average(members.All.Select(m => Evaluator.Probabilities(m.Model, images, shifted)).ToList()));
            }
            return [.. all];
        }
        var probabilities = Probabilities(false);
        var shifted = shifts ? Probabilities(true) : null;
        var classes = ClassNames.Of(members.Dataset);
        var answers = names.Select((name, i) => new PredictedImage(name, probabilities.AsSpan(i * classes.Count, classes.Count).ToArray(),
            pixels.AsSpan(i * size, size).IndexOfAnyExcept(0f) < 0, shifted?.AsSpan(i * classes.Count, classes.Count).ToArray())).ToList();
        return (answers, classes, failures);
    }
}
