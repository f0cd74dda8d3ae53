using Semisup.Models;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Semisup.Methods;

/// <summary>FixMatch (Sohn et al. 2020): ℓ = ℓ_s + λ_u ℓ_u, where ℓ_s is the cross-entropy of the weakly augmented
/// labeled images and ℓ_u = (1/μB) Σ_b 1[max q_b ≥ τ] H(q̂_b, p(y | A(u_b))): q_b = p(y | α(u_b)) is the model's own
/// prediction on a weakly augmented view α (the augmentation block), taken with no gradient, q̂_b its arg max, and A
/// the strong augmentation (augmentation.strong). μ = run.unlabeledBatch / run.labeledBatch unlabeled images per
/// labeled one. As the official code does, the three views go through the model in one batch, so batch norm sees them
/// together.</summary>
/// <param name="Threshold">τ: the confidence a pseudo-label needs.</param>
/// <param name="UnsupervisedWeight">λ_u.</param>
public sealed record FixMatch(double Threshold = 0.95, double UnsupervisedWeight = 1) : IMethod
{
    public StepLoss Loss(Classifier model, Batch b)
    {
        var strong = b.Augmentation.Strong ?? throw new SemisupException("The fixmatch method needs augmentation.strong.");
        int nl = (int)b.Labeled.shape[0], nu = (int)b.Unlabeled.shape[0];
        var weak = b.Augmentation.Apply(b.Unlabeled);
        var altered = strong.Apply(b.Unlabeled);
        var logits = model.call(cat([b.Labeled, weak, altered], 0));
        var supervised = functional.cross_entropy(logits[..nl], b.Labels);
        var (confidence, pseudoLabel) = functional.softmax(logits[nl..(nl + nu)].detach(), 1).max(1);
        var mask = confidence.ge(Threshold).to_type(ScalarType.Float32);
        var unsupervised = (functional.cross_entropy(logits[(nl + nu)..], pseudoLabel, reduction: Reduction.None) * mask).mean();
        return new(supervised + UnsupervisedWeight * unsupervised, supervised, unsupervised);
    }

    public IEnumerable<string> Problems()
    {
        if (Threshold is <= 0 or > 1) yield return $"threshold: {Threshold} must be in (0, 1]";
        if (UnsupervisedWeight < 0) yield return $"unsupervisedWeight: {UnsupervisedWeight} must not be negative";
    }
}
