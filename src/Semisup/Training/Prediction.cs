using Semisup.Data;
using static TorchSharp.torch;

namespace Semisup.Training;

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
    public static (IReadOnlyList<PredictedImage> Images, IReadOnlyList<string> Classes) Predict(IReadOnlyList<string> checkpoints, string input, int limit, bool shifts = false)
    {
        using var members = new Members(checkpoints);
        var (names, pixels) = DigitInputs.Read(input, limit);
        int side = DigitImage.Side, size = side * side;
        using var images = tensor(pixels).reshape(names.Count, 1, side, side);
        var probabilities = Evaluator.Average(members.All.Select(m => Evaluator.Probabilities(m.Model, images)).ToList());
        var shifted = shifts ? Evaluator.Average(members.All.Select(m => Evaluator.Probabilities(m.Model, images, shifted: true)).ToList()) : null;
        var classes = ClassNames.Of(members.Dataset);
        var answers = names.Select((name, i) => new PredictedImage(name, probabilities.AsSpan(i * classes.Count, classes.Count).ToArray(),
            pixels.AsSpan(i * size, size).IndexOfAnyExcept(0f) < 0, shifted?.AsSpan(i * classes.Count, classes.Count).ToArray())).ToList();
        return (answers, classes);
    }
}
