using static TorchSharp.torch;

namespace Semisup.Methods;

/// <summary>FreeMatch's self-adaptive threshold (Wang et al. 2023), as the official code (USB's FreeMatch hook) keeps it:
/// two moving averages of the weak view's predictions, updated with each batch before it is masked,
/// τ_t = m τ_{t−1} + (1 − m) mean_b max q_b and p̃_t = m p̃_{t−1} + (1 − m) mean_b q_b, both starting at 1; a pseudo-label
/// of class c counts when max q_b ≥ τ_t · p̃_t(c) / max_c' p̃_t(c'). A class the model seldom predicts gets a lower bar, so
/// one fixed τ no longer starves the hardest class. The averages are buffers, so a checkpoint carries them and a resumed
/// run goes on exactly.</summary>
public sealed class SelfAdaptiveThreshold : nn.Module
{
    readonly double momentum;
    readonly Tensor level, classLevel;

    public SelfAdaptiveThreshold(int classes, double momentum) : base(nameof(SelfAdaptiveThreshold))
    {
        this.momentum = momentum;
        level = ones(1);
        classLevel = ones(classes);
        register_buffer("level", level);
        register_buffer("class_level", classLevel);
    }

    /// <summary>τ_t, the threshold of the most predicted class.</summary>
    public Tensor Level => level;

    /// <summary>p̃_t, the moving average of the predicted class distribution.</summary>
    public Tensor ClassLevel => classLevel;

    /// <summary>Updates the averages with <paramref name="q"/> (the weak view's probabilities, [B, C], no gradient) and
    /// returns the mask, 1 where a pseudo-label counts.</summary>
    public Tensor Mask(Tensor q)
    {
        using (no_grad())
        {
            var (confidence, pseudoLabel) = q.max(1);
            level.mul_(momentum).add_(confidence.mean() * (1 - momentum));
            classLevel.mul_(momentum).add_(q.mean([0]) * (1 - momentum));
            var bar = level * (classLevel / classLevel.max())[pseudoLabel];
            return confidence.ge(bar).to_type(ScalarType.Float32);
        }
    }
}
