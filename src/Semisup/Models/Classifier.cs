using Semisup.Training;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Semisup.Models;

/// <summary>An image classifier as the methods see it: the clean path (<c>forward</c>, pre-softmax outputs, what
/// evaluation and prediction use) and a noisy path with the same weights.</summary>
public abstract class Classifier(string name) : Module<Tensor, Tensor>(name)
{
    public abstract int Classes { get; }

    /// <summary>Pre-softmax outputs with the model's training noise.</summary>
    public abstract Tensor Noisy(Tensor x);

    /// <summary>Parameter and buffer names with shapes: what a checkpoint must match to be loaded into this model.</summary>
    public string Signature() => string.Join(";", state_dict().Select(kv => $"{kv.Key}:{string.Join("x", kv.Value.shape)}"));
}

public static class ModelRegistry
{
    public static readonly string[] Names = ["conv", "mlp-ladder"];

    const double GiB = 1 << 30;

    public static Classifier Create(Recipe r)
    {
        // A network the recipe cannot describe is refused by its constructor, with the reason.
        if (!r.ModelProblems().Any() && SizeProblem(r, copies: 1) is { } problem) throw new SemisupException($"Cannot build the network: its {problem}.");
        return r.Model switch
        {
            "conv" => new ConvNet(r.Net),
            "mlp-ladder" => new LadderNet(r.Ladder),
            _ => throw new SemisupException($"Unknown model '{r.Model}'. Known models: {string.Join(", ", Names)}."),
        };
    }

    /// <summary>Why <paramref name="copies"/> float32 copies of the recipe's network would not fit in the memory this
    /// process may use ("N parameters need …"), or null. Past that, libtorch aborts the process with a native stack
    /// trace, or the kernel kills it. A coarse guard: activations and libtorch's own memory come on top.</summary>
    public static string? SizeProblem(Recipe r, int copies)
    {
        bool ladder = r.Model == "mlp-ladder";
        double parameters = ladder ? r.Ladder.Parameters : r.Net.Parameters;
        double need = parameters * sizeof(float) * copies, have = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        if (need <= have) return null;
        string what = copies > 1 ? $" to train ({copies} float32 copies: the weights, their gradients, the optimizer's state and any weight average)" : "";
        return $"{parameters:N0} parameters need {need / GiB:F1} GiB{what}, more than the {have / GiB:F1} GiB this process may use; " +
            $"check {(ladder ? "ladderLayers" : "convWidth and hiddenUnits")}";
    }
}
