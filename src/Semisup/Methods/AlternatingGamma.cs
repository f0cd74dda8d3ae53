using Semisup.Models;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Semisup.Methods;

/// <summary>The lab's first Γ-model (section 3.2.3): each epoch is a pass of supervised steps (cross-entropy of the
/// noisy path on augmented labeled images) followed by <paramref name="UnsupervisedSteps"/> steps of the
/// unsupervised loss alone (mean squared error between noisy and clean pre-softmax outputs of unlabeled images),
/// so the two losses update the weights separately. The lab found this worse than adding them (<see cref="Gamma"/>).</summary>
public sealed record AlternatingGamma(int UnsupervisedSteps = 60, double UnsupervisedWeight = 1.0) : IMethod
{
    public int StepsPerEpoch(int labeledSteps) => labeledSteps + UnsupervisedSteps;

    public bool IsSupervisedStep(Progress at) => at.Step < at.StepsPerEpoch - UnsupervisedSteps;

    public StepLoss Loss(Classifier model, Tensor labeled, Tensor labels, Tensor unlabeled, Progress at)
    {
        if (IsSupervisedStep(at))
        {
            var supervised = functional.cross_entropy(model.Noisy(labeled), labels);
            return new(supervised, supervised, null);
        }
        var unsupervised = functional.mse_loss(model.Noisy(unlabeled), model.call(unlabeled));
        return new(UnsupervisedWeight * unsupervised, null, unsupervised);
    }
}
