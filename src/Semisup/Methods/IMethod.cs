using Semisup.Data;
using Semisup.Models;
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

/// <summary>What one step trains on: augmented labeled images and their labels, unlabeled images as they are, where
/// training is, and the augmentation, for methods that also alter the unlabeled images.</summary>
public sealed record Batch(Tensor Labeled, Tensor Labels, Tensor Unlabeled, Progress At, Augment Augmentation)
{
    /// <summary>The moving average of the model's weights, for methods that learn from one (<see cref="IMethod.TeacherDecay"/>).</summary>
    public Classifier? Teacher { get; init; }
}

/// <summary>A (semi-)supervised training method, its settings as a record: how one batch becomes a loss.</summary>
public interface IMethod
{
    StepLoss Loss(Classifier model, Batch batch);

    /// <summary>Steps in an epoch, given the steps of one pass over the labeled set.</summary>
    int StepsPerEpoch(int labeledSteps) => labeledSteps;

    /// <summary>Whether the method learns from unlabeled images (and so needs some).</summary>
    bool UsesUnlabeled => true;

    /// <summary>The decay of the weight average the method learns from (its teacher), or null if it needs none.</summary>
    double? TeacherDecay => null;

    /// <summary>What cannot train, each as "key: why".</summary>
    IEnumerable<string> Problems() => [];
}
