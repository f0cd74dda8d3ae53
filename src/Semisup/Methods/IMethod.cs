using Semisup.Models;
using Semisup.Training;
using static TorchSharp.torch;

namespace Semisup.Methods;

/// <summary>The losses of one step; Total is what is minimised. A part the step does not compute is null, so
/// epoch averages count only the steps that have it.</summary>
public sealed record StepLoss(Tensor Total, Tensor? Supervised, Tensor? Unsupervised);

/// <summary>Where a step is: its epoch (from 1), its index in the epoch (from 0) and the epoch's length.</summary>
public readonly record struct Progress(int Epoch, int Step, int StepsPerEpoch)
{
    /// <summary>Training progress in epochs, fractional, from 0.</summary>
    public double Epochs => Epoch - 1 + (double)Step / StepsPerEpoch;
}

/// <summary>A (semi-)supervised training method: how one batch of labeled and unlabeled images becomes a loss.</summary>
public interface IMethod
{
    /// <param name="labeled">Augmented labeled images.</param>
    /// <param name="unlabeled">Unlabeled images (may be empty for supervised methods).</param>
    /// <param name="at">Where training is, for methods whose weights ramp up or whose steps alternate.</param>
    StepLoss Loss(Classifier model, Tensor labeled, Tensor labels, Tensor unlabeled, Progress at);

    /// <summary>Steps in an epoch, given the steps of one pass over the labeled set.</summary>
    int StepsPerEpoch(int labeledSteps) => labeledSteps;
}

public static class MethodRegistry
{
    public static readonly string[] Names = ["gamma", "supervised", "pseudo-label", "alternating-gamma", "ladder"];

    public static IMethod Create(Recipe r)
    {
        var unlabeledView = r.AugmentUnlabeled ? r.Augmentation : null;
        return r.Method switch
        {
            "gamma" => new Gamma(r.UnsupervisedWeight, r.DetachCleanTarget, r.SeparateBatches, unlabeledView),
            "supervised" => new Supervised(),
            "alternating-gamma" => new AlternatingGamma(r.UnsupervisedSteps, r.UnsupervisedWeight),
            "ladder" => new Ladder(r.DenoisingCosts, r.DenoisingRows == "unlabeled"),
            "pseudo-label" => new PseudoLabel(r.UnsupervisedWeight, r.RampStart, r.RampEnd, r.ConfidenceThreshold, unlabeledView),
            _ => throw new SemisupException($"Unknown method '{r.Method}'. Known methods: {string.Join(", ", Names)}."),
        };
    }
}
