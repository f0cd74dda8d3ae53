using Semisup.Data;
using Semisup.Models;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Semisup.Methods;

/// <summary>The Γ-model (Rasmus et al. 2015) as the lab trains it: one noisy pass over labeled and unlabeled
/// images together, cross-entropy on the labeled part, plus the mean squared error between the noisy and the
/// clean pre-softmax outputs of the unlabeled part; one update on the sum.
/// By default gradient flows through both paths (the contract); with <paramref name="DetachCleanTarget"/> the
/// clean output is a fixed target, as the lab's published code makes it (it wraps the clean output's data in a new
/// Variable; PyTorch 0.1–0.2's mse_loss would not have sent gradient into a target anyway, pytorch/pytorch#3876). The
/// noisy path always gets gradient.
/// With <paramref name="SeparateBatches"/> the labeled and unlabeled images take separate noisy passes, so batch
/// normalisation sees each group alone, as in the lab's code, which calls the network three times a step.
/// With <paramref name="AugmentNoisy"/> the noisy pass sees the unlabeled images through that augmentation and the
/// clean pass sees them as they are, so the output must also be invariant to the augmentation (the Π-model of
/// Laine and Aila 2017 compares two augmented noisy passes; here the clean target stays the lab's).</summary>
public sealed record Gamma(double UnsupervisedWeight = 1.0, bool DetachCleanTarget = false, bool SeparateBatches = false, Augment? AugmentNoisy = null) : IMethod
{
    public StepLoss Loss(Classifier model, Tensor labeled, Tensor labels, Tensor unlabeled, Progress at)
    {
        long nl = labeled.shape[0];
        var seen = AugmentNoisy?.Apply(unlabeled) ?? unlabeled;
        var noisy = SeparateBatches ? cat([model.Noisy(labeled), model.Noisy(seen)], 0) : model.Noisy(cat([labeled, seen], 0));
        var supervised = functional.cross_entropy(noisy[..(int)nl], labels);
        var clean = model.call(unlabeled);
        if (DetachCleanTarget) clean = clean.detach();
        var unsupervised = functional.mse_loss(noisy[(int)nl..], clean);
        return new(supervised + UnsupervisedWeight * unsupervised, supervised, unsupervised);
    }
}
