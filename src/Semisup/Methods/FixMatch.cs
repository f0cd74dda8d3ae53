using Semisup.Models;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Semisup.Methods;

/// <summary>FixMatch (Sohn et al. 2020): ℓ = ℓ_s + λ_u ℓ_u, where ℓ_s is the cross-entropy of the weakly augmented
/// labeled images and ℓ_u = (1/μB) Σ_b 1[max q_b ≥ τ] H(q̂_b, p(y | A(u_b))): q_b = p(y | α(u_b)) is a prediction on a
/// weakly augmented view α (the augmentation block), taken with no gradient, q̂_b its arg max, and A the strong
/// augmentation (augmentation.strong). μ = run.unlabeledBatch / run.labeledBatch unlabeled images per labeled one.</summary>
/// <param name="Threshold">τ: the confidence a pseudo-label needs.</param>
/// <param name="UnsupervisedWeight">λ_u.</param>
/// <param name="PseudoLabels">Who predicts q_b. batch: the model itself, the weak view in its training batch, as the
/// official code does (batch norm sees the three views together); model: the model in evaluation mode, a separate pass
/// with no backward (cheaper); teacher: the weight average (run.emaDecay) in evaluation mode, as Mean Teacher's.</param>
/// <param name="LabelSmoothing">ε of ℓ_s only: its targets are (1 − ε) one-hot + ε / C, as fast supervised trainers
/// use (Szegedy et al. 2016); the pseudo-labels stay hard, as the paper's.</param>
/// <param name="DistributionAlignment">Align q_b before τ and the arg max, as ReMixMatch does (<see cref="Align"/>).</param>
/// <param name="AlignmentMomentum">m of the running mean p̃ that alignment divides by (USB's default: 0.999).</param>
/// <param name="MutualInformationWeight">λ_I of IIC's term (Ji et al. 2019), added to the loss: −I(y; y') of the joint
/// distribution of the class predictions on the weak and strong views (<see cref="MutualInformation"/>), with gradient
/// through both. It asks for classes that are balanced, confident and agree across the views, whatever the labels;
/// needs pseudoLabels batch (the weak view's pass with gradient).</param>
/// <param name="VirtualAdversarialWeight">λ_v of VAT's term (<see cref="VirtualAdversarial"/>), added to the loss:
/// KL(q_b ‖ p(y | α(u_b) + r_adv)), the weak view's prediction (no gradient) against the same view pushed ε the way
/// it changes fastest, in the same training pass as the other views (so batch norm's statistics see the perturbed
/// copies, as they see the strong view; the official code keeps them out). Needs pseudoLabels batch.</param>
/// <param name="VirtualAdversarialRadius">ε: the L2 norm of r_adv over an image's pixels, in [0, 1] intensities, where
/// an MNIST digit's norm is about 9 (the official code's default is 2; its 100-label MLP run used 0.3).</param>
public sealed record FixMatch(double Threshold = 0.95, double UnsupervisedWeight = 1, string PseudoLabels = "batch", double LabelSmoothing = 0,
    bool DistributionAlignment = false, double AlignmentMomentum = 0.999, double MutualInformationWeight = 0,
    double VirtualAdversarialWeight = 0, double VirtualAdversarialRadius = 2) : IMethod
{
    public static readonly string[] PseudoLabelSources = ["batch", "model", "teacher"];

    public StepLoss Loss(Classifier model, Batch b)
    {
        var strong = b.Augmentation.Strong ?? throw new SemisupException("FixMatch needs a strong augmentation (Augment.Strong).");
        int nl = (int)b.Labeled.shape[0], nu = (int)b.Unlabeled.shape[0];
        var weak = b.Augmentation.Apply(b.Unlabeled);
        var altered = strong.Apply(b.Unlabeled);
        Tensor labeled, strongly, q;
        Tensor? weakly = null, adversarial = null;
        if (PseudoLabels == "batch")
        {
            // Only with the term: a run without it keeps its random stream and its batch.
            Tensor[] views = VirtualAdversarialWeight > 0
                ? [b.Labeled, weak, altered, weak + VirtualAdversarial.Perturbation(model, weak, VirtualAdversarialRadius)]
                : [b.Labeled, weak, altered];
            var logits = model.call(cat(views, 0));
            (labeled, weakly, strongly) = (logits[..nl], logits[nl..(nl + nu)], logits[(nl + nu)..(nl + 2 * nu)]);
            if (VirtualAdversarialWeight > 0) adversarial = logits[(nl + 2 * nu)..];
            q = functional.softmax(weakly.detach(), 1);
        }
        else
        {
            q = Predict(PseudoLabels == "teacher" ? b.Teacher ?? throw new SemisupException("FixMatch's teacher pseudo-labels need the weight average of the model (Batch.Teacher).") : model, weak);
            var logits = model.call(cat([b.Labeled, altered], 0));
            (labeled, strongly) = (logits[..nl], logits[nl..]);
        }
        if (DistributionAlignment) q = Align(q, b.State ?? throw new SemisupException("Distribution alignment needs the state the trainer keeps (Batch.State)."));
        var supervised = functional.cross_entropy(labeled, b.Labels, label_smoothing: LabelSmoothing);
        var (confidence, pseudoLabel) = q.max(1);
        var mask = confidence.ge(Threshold).to_type(ScalarType.Float32);
        var unsupervised = (functional.cross_entropy(strongly, pseudoLabel, reduction: Reduction.None) * mask).mean();
        if (MutualInformationWeight > 0)
        {
            if (weakly is null) throw new SemisupException("The mutual-information term needs the pseudo-labels of the batch (PseudoLabels batch).");
            unsupervised = unsupervised + MutualInformationWeight / UnsupervisedWeight * MutualInformation(functional.softmax(weakly, 1), functional.softmax(strongly, 1));
        }
        if (adversarial is not null)
            unsupervised = unsupervised + VirtualAdversarialWeight / UnsupervisedWeight * VirtualAdversarial.Divergence(functional.log_softmax(weakly!.detach(), 1), adversarial);
        return new(supervised + UnsupervisedWeight * unsupervised, supervised, unsupervised);
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

    /// <summary>Distribution alignment (Berthelot et al. 2020, ReMixMatch), as USB's: p̃ ← m p̃ + (1 − m) mean_b q_b (the
    /// first batch's mean to start), then q̃_b = Normalize(q_b · p(y) / p̃) with p(y) uniform, as the labeled classes are
    /// balanced. A class the model predicts too often loses confidence, so fewer of its pseudo-labels pass τ, and one it
    /// predicts too rarely gains it. p̃ lives in <paramref name="state"/>, which the trainer checkpoints.</summary>
    public Tensor Align(Tensor q, MethodState state)
    {
        using var _ = no_grad();
        var mean = q.mean([0]).to_type(ScalarType.Float64).data<double>().ToArray();
        state.Values = state.Values.Length == 0 ? mean : [.. state.Values.Zip(mean, (p, m) => AlignmentMomentum * p + (1 - AlignmentMomentum) * m)];
        // USB's 1e-6 keeps a class whose probability underflowed to 0 from dividing by zero.
        var aligned = q / (tensor(state.Values).to_type(q.dtype) + 1e-6);
        return aligned / aligned.sum(1, keepdim: true);
    }

    /// <summary>p(y | x) of a network in evaluation mode, with no gradient; a model in training mode is put back in it.</summary>
    static Tensor Predict(Classifier network, Tensor x)
    {
        bool training = network.training;
        using var _ = no_grad();
        network.eval();
        try { return functional.softmax(network.call(x), 1); }
        finally { if (training) network.train(); }
    }

    public IEnumerable<string> Problems()
    {
        if (Threshold is <= 0 or > 1) yield return $"threshold: {Threshold} must be in (0, 1]";
        if (UnsupervisedWeight < 0) yield return $"unsupervisedWeight: {UnsupervisedWeight} must not be negative";
        if (LabelSmoothing is < 0 or >= 1) yield return $"labelSmoothing: {LabelSmoothing} must be in [0, 1)";
        if (!(MutualInformationWeight >= 0)) yield return $"mutualInformationWeight: {MutualInformationWeight} must not be negative";
        if (MutualInformationWeight > 0 && PseudoLabels != "batch") yield return "mutualInformationWeight: needs pseudoLabels batch (the weak view's pass with gradient)";
        if (MutualInformationWeight > 0 && !(UnsupervisedWeight > 0)) yield return "mutualInformationWeight: needs unsupervisedWeight above 0";
        if (!(VirtualAdversarialWeight >= 0)) yield return $"virtualAdversarialWeight: {VirtualAdversarialWeight} must not be negative";
        if (!(VirtualAdversarialRadius > 0)) yield return $"virtualAdversarialRadius: {VirtualAdversarialRadius} must be above 0";
        if (VirtualAdversarialWeight > 0 && PseudoLabels != "batch") yield return "virtualAdversarialWeight: needs pseudoLabels batch (the weak view in the training pass)";
        if (VirtualAdversarialWeight > 0 && !(UnsupervisedWeight > 0)) yield return "virtualAdversarialWeight: needs unsupervisedWeight above 0";
        if (AlignmentMomentum is < 0 or >= 1) yield return $"alignmentMomentum: {AlignmentMomentum} must be in [0, 1)";
        if (!PseudoLabelSources.Contains(PseudoLabels)) yield return $"pseudoLabels: '{PseudoLabels}' is not one of {string.Join(", ", PseudoLabelSources)}";
    }
}
