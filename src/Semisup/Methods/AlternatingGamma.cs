using Semisup.Models;
using static TorchSharp.torch.nn;

namespace Semisup.Methods;

/// <summary>The lab's first Γ-model (section 3.2.3): each epoch is a pass of supervised steps (cross-entropy of the
/// noisy path on augmented labeled images) followed by <see cref="UnsupervisedSteps"/> steps of the
/// unsupervised loss alone (mean squared error between noisy and clean pre-softmax outputs of unlabeled images),
/// so the two losses update the weights separately. The lab found this worse than adding them (<see cref="Gamma"/>).</summary>
public sealed record AlternatingGamma : IMethod
{
    /// <summary>The lab's "several steps" after each supervised epoch.</summary>
    public const int UnsupervisedSteps = 60;

    public int StepsPerEpoch(int labeledSteps) => labeledSteps + UnsupervisedSteps;

    public bool IsSupervisedStep(Progress at) => at.Step < at.StepsPerEpoch - UnsupervisedSteps;

    public StepLoss Loss(Classifier model, Batch b)
    {
        if (IsSupervisedStep(b.At))
        {
            var supervised = functional.cross_entropy(model.Noisy(b.Labeled), b.Labels);
            return new(supervised, supervised, null);
        }
        var unsupervised = functional.mse_loss(model.Noisy(b.Unlabeled), model.call(b.Unlabeled));
        return new(unsupervised, null, unsupervised);
    }
}
