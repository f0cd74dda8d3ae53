using Semisup.Models;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Semisup.Methods;

/// <summary>FixMatch (Sohn et al. 2020): ℓ = ℓ_s + λ_u ℓ_u with the paper's λ_u = 1, where ℓ_s is the cross-entropy of
/// the weakly augmented labeled images and ℓ_u = (1/μB) Σ_b 1[max q_b ≥ τ] H(q̂_b, p(y | A(u_b))): q_b = p(y | α(u_b)) is
/// the model's prediction on a weakly augmented view α (the augmentation block), in its training batch as the official
/// code takes it (batch norm sees the three views together), with no gradient; q̂_b is its arg max and A the strong
/// augmentation (augmentation.strong). μ = run.unlabeledBatch / run.labeledBatch unlabeled images per labeled one.</summary>
/// <param name="Threshold">τ: the confidence a pseudo-label needs.</param>
/// <param name="MutualInformationWeight">λ_I of IIC's term (Ji et al. 2019), added to the loss: −I(y; y') of the joint
/// distribution of the class predictions on the weak and strong views (<see cref="MutualInformation"/>), with gradient
/// through both. It asks for classes that are balanced, confident and agree across the views, whatever the labels.</param>
/// <param name="VirtualAdversarialWeight">λ_v of VAT's term (<see cref="VirtualAdversarial"/>), added to the loss:
/// KL(q_b ‖ p(y | α(u_b) + r_adv)), the weak view's prediction (no gradient) against the same view pushed ε the way
/// it changes fastest, in the same training pass as the other views (so batch norm's statistics see the perturbed
/// copies, as they see the strong view; the official code keeps them out).</param>
/// <param name="VirtualAdversarialRadius">ε: the L2 norm of r_adv over an image's pixels, in [0, 1] intensities, where
/// an MNIST digit's norm is about 9 (the official code's default is 2; its 100-label MLP run used 0.3).</param>
public sealed record FixMatch(double Threshold = 0.95, double MutualInformationWeight = 0, double VirtualAdversarialWeight = 0,
    double VirtualAdversarialRadius = 2) : IMethod
{
    public StepLoss Loss(Classifier model, Batch b)
    {
        var strong = b.Augmentation.Strong ?? throw new SemisupException("FixMatch needs a strong augmentation (Augment.Strong).");
        int nl = (int)b.Labeled.shape[0], nu = (int)b.Unlabeled.shape[0];
        var weak = b.Augmentation.Apply(b.Unlabeled);
        var altered = strong.Apply(b.Unlabeled);
        // Only with the term: a run without it keeps its random stream and its batch.
        Tensor[] views = VirtualAdversarialWeight > 0
            ? [b.Labeled, weak, altered, weak + VirtualAdversarial.Perturbation(model, weak, VirtualAdversarialRadius)]
            : [b.Labeled, weak, altered];
        var logits = model.call(cat(views, 0));
        var (labeled, weakly, strongly) = (logits[..nl], logits[nl..(nl + nu)], logits[(nl + nu)..(nl + 2 * nu)]);
        var q = functional.softmax(weakly.detach(), 1);
        var supervised = functional.cross_entropy(labeled, b.Labels);
        var (confidence, pseudoLabel) = q.max(1);
        var mask = confidence.ge(Threshold).to_type(ScalarType.Float32);
        var unsupervised = (functional.cross_entropy(strongly, pseudoLabel, reduction: Reduction.None) * mask).mean();
        if (MutualInformationWeight > 0)
            unsupervised = unsupervised + MutualInformationWeight * MutualInformation(functional.softmax(weakly, 1), functional.softmax(strongly, 1));
        if (VirtualAdversarialWeight > 0)
            unsupervised = unsupervised + VirtualAdversarialWeight * VirtualAdversarial.Divergence(functional.log_softmax(weakly.detach(), 1), logits[(nl + 2 * nu)..]);
        return new(supervised + unsupervised, supervised, unsupervised);
    }

    /// <summary>IIC's loss, −I(y; y') = −Σ_ij P_ij log(P_ij / (P_i P_j)), with P = (1/N) Σ_b p_b p'_bᵀ symmetrised: the joint
    /// distribution of the two views' classes. Its minimum, −log C, needs every class equally often and both views to
    /// agree with certainty. Entries under 1e-8 are held there, as the official code does, so the log stays finite.</summary>
    public static Tensor MutualInformation(Tensor p, Tensor pPrime)
    {
        var joint = p.t().matmul(pPrime) / p.shape[0];
        joint = ((joint + joint.t()) / 2).clamp_min(1e-8);
        var (pi, pj) = (joint.sum(1, keepdim: true), joint.sum(0, keepdim: true));
        return -(joint * (joint.log() - pi.log() - pj.log())).sum();
    }

    public IEnumerable<string> Problems()
    {
        if (Threshold is <= 0 or > 1) yield return $"threshold: {Threshold} must be in (0, 1]";
        if (!(MutualInformationWeight >= 0)) yield return $"mutualInformationWeight: {MutualInformationWeight} must not be negative";
        if (!(VirtualAdversarialWeight >= 0)) yield return $"virtualAdversarialWeight: {VirtualAdversarialWeight} must not be negative";
        if (!(VirtualAdversarialRadius > 0)) yield return $"virtualAdversarialRadius: {VirtualAdversarialRadius} must be above 0";
    }
}
