using Semisup.Models;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Semisup.Methods;

/// <summary>The Γ-model (Rasmus et al. 2015) as the lab trains it (section 3.3): one noisy pass over labeled and
/// unlabeled images together, cross-entropy on the labeled part, plus the mean squared error between the noisy and
/// the clean pre-softmax outputs of the unlabeled part, weighted by <paramref name="UnsupervisedWeight"/>; one update
/// on the sum.</summary>
/// <param name="DetachCleanTarget">The clean output is a fixed target (no gradient through it), as the lab's published
/// code makes it (it wraps the clean output's data in a new Variable). By default gradient flows through both paths.</param>
/// <param name="SeparateBatches">Labeled and unlabeled images take separate noisy passes, so batch normalisation sees
/// each group alone, as in the lab's code, which calls the network three times a step.</param>
public sealed record Gamma(double UnsupervisedWeight = 1.0, bool DetachCleanTarget = false, bool SeparateBatches = false) : IMethod
{
    public StepLoss Loss(Classifier model, Batch b)
    {
        long nl = b.Labeled.shape[0];
        var noisy = SeparateBatches ? cat([model.Noisy(b.Labeled), model.Noisy(b.Unlabeled)], 0) : model.Noisy(cat([b.Labeled, b.Unlabeled], 0));
        var supervised = functional.cross_entropy(noisy[..(int)nl], b.Labels);
        var clean = model.call(b.Unlabeled);
        if (DetachCleanTarget) clean = clean.detach();
        var unsupervised = functional.mse_loss(noisy[(int)nl..], clean);
        return new(supervised + UnsupervisedWeight * unsupervised, supervised, unsupervised);
    }

    public IEnumerable<string> Problems()
    {
        if (UnsupervisedWeight < 0) yield return $"unsupervisedWeight: {UnsupervisedWeight} must not be negative";
    }
}
