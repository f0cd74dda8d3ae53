using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Semisup.Models;

/// <summary>The MLP ladder network (Rasmus et al. 2015; Pezeshki et al. 2016).</summary>
/// <param name="Layers">Widths from the input up: 784-1000-500-250-250-250-10 in the paper.</param>
/// <param name="NoiseStd">Gaussian noise on the corrupted path, added to every normalised pre-activation (and to the input
/// unless <paramref name="InputNoiseStd"/> is given).</param>
/// <param name="InputNoiseStd">Noise on the input alone; the authors' 1,000-label run uses 0.3 there and 0.2 above.</param>
public sealed record LadderConfig(int[] Layers, double NoiseStd = 0.3, double? InputNoiseStd = null) : ModelOptions
{
    public LadderConfig() : this(PaperLayers) { }

    public static readonly int[] PaperLayers = [784, 1000, 500, 250, 250, 250, 10];

    /// <summary>The learned parameters, counted from the widths before anything is allocated: W_l and V_l, β_l, γ_L and
    /// the combinators' vectors (in double, so absurd widths cannot overflow the count that refuses them).</summary>
    /// <summary>The clean encoder's products W_l·h_(l−1), what evaluation computes.</summary>
    public override double MultiplyAdds => Layers.Zip(Layers.Skip(1), (below, above) => (double)below * above).Sum();

    public override double Parameters => Layers.Zip(Layers.Skip(1), (below, above) => 2.0 * below * above + above).Sum()
        + (Layers.Length > 0 ? Layers[^1] : 0) + Combinator.Vectors * Layers.Sum(w => (double)w);

    public override IEnumerable<string> Problems()
    {
        if (Layers.Length < 2) yield return $"layers: {Layers.Length} widths; give the input, any hidden layers and the classes";
        if (Layers.Any(w => w < 1)) yield return $"layers: [{string.Join(", ", Layers)}]; every width must be positive";
        if (NoiseStd < 0) yield return $"noiseStd: {NoiseStd} must not be negative";
        if (InputNoiseStd < 0) yield return $"inputNoiseStd: {InputNoiseStd} must not be negative";
    }

    /// <summary>The widths must start at the images' pixels and end at the classes.</summary>
    public override Classifier Build(int channels, int height, int width, int classes) =>
        Layers.Length >= 2 && (Layers[0] != channels * height * width || Layers[^1] != classes)
            ? throw new ArgumentException($"layers: [{string.Join(", ", Layers)}] do not fit the dataset: the first width must be its {channels * height * width} pixels and the last its {classes} classes.")
            : new LadderNet(this);
}

/// <summary>One pass of the encoder: pre-softmax outputs, and per layer l = 0..L the (normalised, for a corrupted
/// pass noisy) values z_l with the batch mean and standard deviation they were normalised by (0 and 1 for the input).</summary>
public sealed record LadderPass(Tensor Logits, Tensor[] Z, Tensor[] Mean, Tensor[] Std);

/// <summary>The ladder network's encoder and decoder. The encoder normalises each layer's pre-activation with batch
/// statistics (running statistics in evaluation), adds noise on the corrupted pass, then a learned shift β (and at
/// the top a scale γ) and ReLU (softmax at the top). The decoder goes from the top down: u_l is the batch-normalised
/// projection of the reconstruction above (of the corrupted softmax output at the top), combined with the corrupted
/// lateral value z̃_l by the combinator g.</summary>
public sealed class LadderNet : Classifier
{
    const double Eps = 1e-5;
    public LadderConfig Config { get; }
    readonly Linear[] weights;        // W_l: layer l−1 → l, l = 1..L
    readonly Linear[] projections;    // V_l: layer l → l−1, l = 1..L
    readonly Parameter[] shifts;      // β_l, l = 1..L
    readonly Parameter scale;         // γ_L
    readonly Parameter[] combinators; // a_l: 10 × width_l, l = 0..L
    readonly Tensor[] runningMean, runningVar;

    public LadderNet(LadderConfig config) : base(nameof(LadderNet))
    {
        if (config.Problems().FirstOrDefault() is { } problem) throw new SemisupException($"Cannot build the ladder network: {problem}.");
        Config = config;
        var n = config.Layers;
        int top = n.Length - 1;
        weights = new Linear[top];
        projections = new Linear[top];
        shifts = new Parameter[top];
        runningMean = new Tensor[top];
        runningVar = new Tensor[top];
        combinators = new Parameter[top + 1];
        for (int l = 1; l <= top; l++)
        {
            weights[l - 1] = Linear(n[l - 1], n[l], hasBias: false);
            projections[l - 1] = Linear(n[l], n[l - 1], hasBias: false);
            shifts[l - 1] = new Parameter(zeros(n[l]));
            runningMean[l - 1] = zeros(n[l]);
            runningVar[l - 1] = ones(n[l]);
            register_module($"encoder{l}", weights[l - 1]);
            register_module($"decoder{l}", projections[l - 1]);
            register_parameter($"beta{l}", shifts[l - 1]);
            register_buffer($"running_mean{l}", runningMean[l - 1]);
            register_buffer($"running_var{l}", runningVar[l - 1]);
        }
        scale = new Parameter(ones(n[top]));
        register_parameter($"gamma{top}", scale);
        for (int l = 0; l <= top; l++)
        {
            combinators[l] = new Parameter(Combinator.Initial(n[l]));
            register_parameter($"combinator{l}", combinators[l]);
        }
        // The papers' N(0, 1/fan_in) weights, for W and V alike.
        using var _ = no_grad();
        foreach (var linear in weights.Concat(projections)) linear.weight!.normal_(0, 1 / Math.Sqrt(linear.weight.shape[1]));
    }

    public int Depth => weights.Length;
    public override int Classes => Config.Layers[^1];

    public override Tensor forward(Tensor x) => Encode(x, corrupted: false).Logits;

    public override Tensor Noisy(Tensor x) => Encode(x, corrupted: true).Logits;

    /// <summary>The clean or the corrupted encoder pass. In training, each layer is normalised by batch
    /// statistics and the clean pass alone updates the running statistics that evaluation uses. With
    /// <paramref name="labeled"/> &gt; 0 the first that many rows (the labeled images) are normalised with their own
    /// statistics and the rest with theirs, as the papers' code does: in a shared batch, the same few labeled images
    /// step after step can be told apart from the rest by where they fall, and the network overfits to that. Mean and
    /// Std are then per row (each row's group's statistics); the running statistics follow the unlabeled rows.</summary>
    public LadderPass Encode(Tensor x, bool corrupted, int labeled = 0)
    {
        Tensor Corrupt(Tensor t, double noise) => corrupted && noise > 0 ? t + randn_like(t) * noise : t;
        int top = Depth;
        var (z, mean, std) = (new Tensor[top + 1], new Tensor[top + 1], new Tensor[top + 1]);
        var h = Corrupt(x.flatten(1), Config.InputNoiseStd ?? Config.NoiseStd);
        (z[0], mean[0], std[0]) = (h, zeros(1), ones(1));
        for (int l = 1; l <= top; l++)
        {
            var pre = weights[l - 1].call(h);
            if (training)
            {
                (mean[l], std[l]) = Statistics(pre, labeled);
                if (!corrupted) UpdateRunning(l - 1, labeled < pre.shape[0] ? pre[labeled..] : pre); // the unlabeled rows, or all if none
            }
            else (mean[l], std[l]) = (runningMean[l - 1], (runningVar[l - 1] + Eps).sqrt());
            z[l] = Corrupt((pre - mean[l]) / std[l], Config.NoiseStd);
            h = l == top ? scale * (z[l] + shifts[l - 1]) : functional.relu(z[l] + shifts[l - 1]);
        }
        return new(h, z, mean, std);
    }

    /// <summary>Per-row batch statistics: the first <paramref name="labeled"/> rows' own and the rest's, or, when that
    /// splits nothing, the whole batch's.</summary>
    static (Tensor Mean, Tensor Std) Statistics(Tensor t, int labeled) =>
        labeled > 0 && labeled < t.shape[0] ? GroupStatistics(t, labeled) : BatchStatistics(t);

    static (Tensor Mean, Tensor Std) BatchStatistics(Tensor t) => (t.mean([0]), (t.var(0, unbiased: false) + Eps).sqrt());

    /// <summary>Per-row statistics of two groups of rows: [0, first) and [first, n).</summary>
    static (Tensor Mean, Tensor Std) GroupStatistics(Tensor t, int first)
    {
        var (ma, sa) = BatchStatistics(t[..first]);
        var (mb, sb) = BatchStatistics(t[first..]);
        long na = first, nb = t.shape[0] - first;
        return (cat([ma.expand(na, -1), mb.expand(nb, -1)], 0), cat([sa.expand(na, -1), sb.expand(nb, -1)], 0));
    }

    void UpdateRunning(int i, Tensor pre)
    {
        using var _ = no_grad();
        const double m = 0.1; // PyTorch's batch-norm momentum
        runningMean[i].mul_(1 - m).add_(pre.mean([0]), alpha: m);
        runningVar[i].mul_(1 - m).add_(pre.var(0, unbiased: true), alpha: m);
    }

    /// <summary>The decoder over a corrupted pass: reconstructions ẑ_l from the top down to <paramref name="lowest"/>
    /// (entries below it are null: a layer without denoising cost needs no reconstruction). The projections u are
    /// batch-normalised in the same groups as the encoder's (<paramref name="labeled"/>).</summary>
    public Tensor?[] Decode(LadderPass corrupted, int lowest = 0, int labeled = 0)
    {
        int top = Depth;
        var zHat = new Tensor?[top + 1];
        for (int l = top; l >= lowest; l--)
        {
            var u = l == top ? functional.softmax(corrupted.Logits, 1) : projections[l].call(zHat[l + 1]!);
            var (m, sd) = Statistics(u, labeled);
            zHat[l] = Combinator.Apply(corrupted.Z[l], (u - m) / sd, combinators[l]);
        }
        return zHat;
    }
}

/// <summary>The ladder's vanilla combinator g (Rasmus et al. 2015, eq. 2), per unit with ten learned vectors a1..a10.</summary>
public static class Combinator
{
    public const int Vectors = 10;

    /// <summary>a2 = a7 = 1 and the rest 0, as the papers' code starts.</summary>
    public static Tensor Initial(int width)
    {
        var a = zeros(Vectors, width);
        a[1].fill_(1);
        a[6].fill_(1);
        return a;
    }

    // μ(u) = a1·σ(a2·u + a3) + a4·u + a5;  υ(u) = a6·σ(a7·u + a8) + a9·u + a10;  ẑ = (z̃ − μ(u))·υ(u) + μ(u)
    public static Tensor Apply(Tensor zTilde, Tensor u, Tensor a)
    {
        var mu = a[0] * (a[1] * u + a[2]).sigmoid() + a[3] * u + a[4];
        var upsilon = a[5] * (a[6] * u + a[7]).sigmoid() + a[8] * u + a[9];
        return (zTilde - mu) * upsilon + mu;
    }
}
