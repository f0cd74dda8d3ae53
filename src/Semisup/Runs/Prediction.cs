using Semisup.Data;

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
    /// <returns>The answers, the class names, and the files of a directory that could not be read, each with its reason.</returns>
    public static (IReadOnlyList<PredictedImage> Images, IReadOnlyList<string> Classes, IReadOnlyList<string> Failures) Predict(
        IReadOnlyList<string> checkpoints, string input, int limit, bool shifts = false, Action<string>? warn = null, bool raw = false)
    {
        using var ensemble = new Ensemble(checkpoints, warn, raw);
        var (names, pixels, failures) = DigitInputs.Read(input, limit);
        var probabilities = ensemble.Probabilities(pixels);
        var shifted = shifts ? ensemble.Probabilities(pixels, shifted: true) : null;
        int size = DigitImage.Side * DigitImage.Side, classes = ensemble.Classes.Count;
        var answers = names.Select((name, i) => new PredictedImage(name, probabilities.AsSpan(i * classes, classes).ToArray(),
            pixels.AsSpan(i * size, size).IndexOfAnyExcept(0f) < 0, shifted?.AsSpan(i * classes, classes).ToArray())).ToList();
        return (answers, ensemble.Classes, failures);
    }
}
