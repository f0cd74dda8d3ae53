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
public sealed record FixMatch(double Threshold = 0.95, double UnsupervisedWeight = 1, string PseudoLabels = "batch", double LabelSmoothing = 0) : IMethod
{
    public static readonly string[] PseudoLabelSources = ["batch", "model", "teacher"];

    public StepLoss Loss(Classifier model, Batch b)
    {
        var strong = b.Augmentation.Strong ?? throw new SemisupException("The fixmatch method needs augmentation.strong.");
        int nl = (int)b.Labeled.shape[0], nu = (int)b.Unlabeled.shape[0];
        var weak = b.Augmentation.Apply(b.Unlabeled);
        var altered = strong.Apply(b.Unlabeled);
        Tensor labeled, strongly, q;
        if (PseudoLabels == "batch")
        {
            var logits = model.call(cat([b.Labeled, weak, altered], 0));
            (labeled, q, strongly) = (logits[..nl], functional.softmax(logits[nl..(nl + nu)].detach(), 1), logits[(nl + nu)..]);
        }
        else
        {
            q = Predict(PseudoLabels == "teacher" ? b.Teacher ?? throw new SemisupException("method.pseudoLabels: teacher needs run.emaDecay above 0.") : model, weak);
            var logits = model.call(cat([b.Labeled, altered], 0));
            (labeled, strongly) = (logits[..nl], logits[nl..]);
        }
        var supervised = functional.cross_entropy(labeled, b.Labels, label_smoothing: LabelSmoothing);
        var (confidence, pseudoLabel) = q.max(1);
        var mask = confidence.ge(Threshold).to_type(ScalarType.Float32);
        var unsupervised = (functional.cross_entropy(strongly, pseudoLabel, reduction: Reduction.None) * mask).mean();
        return new(supervised + UnsupervisedWeight * unsupervised, supervised, unsupervised);
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
        if (!PseudoLabelSources.Contains(PseudoLabels)) yield return $"pseudoLabels: '{PseudoLabels}' is not one of {string.Join(", ", PseudoLabelSources)}";
    }
}
