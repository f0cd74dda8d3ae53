using Semisup.Data;
using Semisup.Models;
using Semisup.Recipes;
using Semisup.Training;
using static TorchSharp.torch;

namespace Semisup.Runs;

/// <summary>Checkpoints loaded together to evaluate or to predict: one model, or several whose class probabilities
/// are averaged. Members must share a dataset, and so its classes. Prediction is serialized, as TorchSharp modules
/// are not thread-safe, so a server may call it from any thread.</summary>
public sealed class Ensemble : IDisposable
{
    /// <summary>Images go through the network in batches of this many, so memory does not grow with their number.</summary>
    public const int Batch = 100;

    readonly Lock gate = new();

    public List<(string Path, Classifier Model, CheckpointHeader Header)> Members { get; } = [];
    public DatasetInfo Dataset { get; }
    public IReadOnlyList<string> Classes => ClassNames.Of(Dataset);

    /// <param name="warn">Hears a warning for each checkpoint loaded unverified (<see cref="Checkpoint.Unverified"/>).</param>
    /// <param name="raw">Score without the checkpoints' temperatures: uncalibrated probabilities.</param>
    public Ensemble(IReadOnlyList<string> checkpoints, Action<string>? warn = null, bool raw = false)
    {
        try
        {
            foreach (var path in checkpoints)
            {
                var (model, header) = Checkpoint.Load(path);
                if (raw) model.Temperature = null;
                Members.Add((path, model, header));
                if (Checkpoint.Unverified(path, header) is { } warning) warn?.Invoke(warning);
            }
            var (first, _, firstHeader) = Members[0];
            if (Members.FirstOrDefault(m => m.Header.Recipe.Data.Dataset != firstHeader.Recipe.Data.Dataset) is { Path: not null } other)
                throw new SemisupException($"{other.Path} was trained on {other.Header.Recipe.Data.Dataset}, {first} on {firstHeader.Recipe.Data.Dataset}: an ensemble needs one dataset.");
            Dataset = Datasets.Get(firstHeader.Recipe.Data.Dataset);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>The members' averaged class probabilities ([n × classes], row-major) of n images of
    /// <see cref="DigitImage.Side"/>² pixels in [0, 1], row-major; with <paramref name="shifted"/>, each averaged over the
    /// image and its four one-pixel shifts.</summary>
    public float[] Probabilities(float[] pixels, bool shifted = false)
    {
        int side = DigitImage.Side, size = side * side, count = pixels.Length / size;
        var all = new List<float>(count * Classes.Count);
        lock (gate)
            for (int start = 0; start < count; start += Batch)
            {
                int n = Math.Min(Batch, count - start);
                using var images = tensor(pixels.AsSpan(start * size, n * size).ToArray()).reshape(n, 1, side, side);
                all.AddRange(Evaluator.Average(Members.Select(m => Evaluator.Probabilities(m.Model, images, shifted)).ToList()));
            }
        return [.. all];
    }

    public void Dispose()
    {
        foreach (var m in Members) m.Model.Dispose();
    }
}
