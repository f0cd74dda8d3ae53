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

    public static Classifier Create(Recipe r) => r.Model switch
    {
        "conv" => new ConvNet(r.Net),
        "mlp-ladder" => new LadderNet(r.Ladder),
        _ => throw new SemisupException($"Unknown model '{r.Model}'. Known models: {string.Join(", ", Names)}."),
    };
}
