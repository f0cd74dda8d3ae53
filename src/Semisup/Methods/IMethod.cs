using Semisup.Models;
using Semisup.Training;
using static TorchSharp.torch;

namespace Semisup.Methods;

/// <summary>The losses of one step; Total is what is minimised.</summary>
public sealed record StepLoss(Tensor Total, Tensor Supervised, Tensor Unsupervised);

/// <summary>A (semi-)supervised training method: how one batch of labeled and unlabeled images becomes a loss.</summary>
public interface IMethod
{
    /// <param name="labeled">Augmented labeled images.</param>
    /// <param name="unlabeled">Unlabeled images (may be empty for supervised methods).</param>
    /// <param name="epoch">Training progress in epochs (fractional), for methods whose weights ramp up.</param>
    StepLoss Loss(ConvNet model, Tensor labeled, Tensor labels, Tensor unlabeled, double epoch);
}

public static class MethodRegistry
{
    public static readonly string[] Names = ["gamma", "supervised", "pseudo-label"];

    public static IMethod Create(Recipe r) => r.Method switch
    {
        "gamma" => new Gamma(r.UnsupervisedWeight, r.DetachCleanTarget),
        "supervised" => new Supervised(),
        "pseudo-label" => new PseudoLabel(r.UnsupervisedWeight, r.RampStart, r.RampEnd, r.ConfidenceThreshold),
        _ => throw new SemisupException($"Unknown method '{r.Method}'. Known methods: {string.Join(", ", Names)}."),
    };
}
