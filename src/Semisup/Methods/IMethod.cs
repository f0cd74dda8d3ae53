using Semisup.Models;
using static TorchSharp.torch;

namespace Semisup.Methods;

/// <summary>The losses of one step; Total is what is minimised.</summary>
public sealed record StepLoss(Tensor Total, Tensor Supervised, Tensor Unsupervised);

/// <summary>A (semi-)supervised training method: how one batch of labeled and unlabeled images becomes a loss.</summary>
public interface IMethod
{
    /// <param name="labeled">Augmented labeled images.</param>
    /// <param name="unlabeled">Unlabeled images (may be empty for supervised methods).</param>
    StepLoss Loss(ConvNet model, Tensor labeled, Tensor labels, Tensor unlabeled);
}

public static class MethodRegistry
{
    public static readonly string[] Names = ["gamma", "supervised"];

    public static IMethod Create(string name, double unsupervisedWeight, bool detachCleanTarget) => name switch
    {
        "gamma" => new Gamma(unsupervisedWeight, detachCleanTarget),
        "supervised" => new Supervised(),
        _ => throw new SemisupException($"Unknown method '{name}'. Known methods: {string.Join(", ", Names)}."),
    };
}
