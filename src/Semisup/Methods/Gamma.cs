using Semisup.Models;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Semisup.Methods;

/// <summary>The Γ-model (Rasmus et al. 2015) as the lab trains it: one noisy pass over labeled and unlabeled
/// images together, cross-entropy on the labeled part, plus the mean squared error between the noisy and the
/// clean pre-softmax outputs of the unlabeled part; one update on the sum.
/// By default gradient flows through both paths, as the lab's PyTorch code does; with
/// <paramref name="DetachCleanTarget"/> the clean output is a fixed target. The noisy path always gets gradient.
/// With <paramref name="SeparateBatches"/> the labeled and unlabeled images take separate noisy passes, so batch
/// normalisation sees each group alone (as three separate calls of the network in PyTorch would).</summary>
public sealed record Gamma(double UnsupervisedWeight = 1.0, bool DetachCleanTarget = false, bool SeparateBatches = false) : IMethod
{
    public StepLoss Loss(Classifier model, Tensor labeled, Tensor labels, Tensor unlabeled, Progress at)
    {
        long nl = labeled.shape[0];
        var noisy = SeparateBatches ? cat([model.Noisy(labeled), model.Noisy(unlabeled)], 0) : model.Noisy(cat([labeled, unlabeled], 0));
        var supervised = functional.cross_entropy(noisy[..(int)nl], labels);
        var clean = model.call(unlabeled);
        if (DetachCleanTarget) clean = clean.detach();
        var unsupervised = functional.mse_loss(noisy[(int)nl..], clean);
        return new(supervised + UnsupervisedWeight * unsupervised, supervised, unsupervised);
    }
}
