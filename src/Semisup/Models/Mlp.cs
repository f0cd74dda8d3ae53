using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Semisup.Models;

/// <summary>A fully connected network, as the MNIST semi-supervised results of the ladder, Improved GAN and VAT papers
/// use: each hidden layer linear → batch norm → ReLU, then a linear layer to the classes. It sees where a stroke is,
/// not only which strokes there are, as a convolutional network's pooling does.</summary>
/// <param name="Hidden">Widths of the hidden layers (the ladder papers': 1000, 500, 250, 250, 250).</param>
/// <param name="NoiseStd">The noisy path's Gaussian noise, added to every layer's input (for the Γ and mean-teacher
/// methods); the clean path has none.</param>
/// <param name="Dropout">Dropout before the last linear layer, on both paths while training.</param>
public sealed record MlpConfig(int[] Hidden, double NoiseStd = 0, double Dropout = 0, double BnMomentum = 0.1,
    double InputMean = 0.1307, double InputStd = 0.3081,
    int Channels = 1, int Height = 28,
    int Width = 28, int Classes = 10) : ModelOptions
{
    public static readonly int[] DefaultHidden = [1000, 500, 250, 250, 250];

    public MlpConfig() : this(DefaultHidden) { }

    /// <summary>Each linear layer's (inputs, outputs), the last one's to the classes.</summary>
    IEnumerable<(double In, double Out)> Layers() =>
        Hidden.Prepend(Channels * Height * Width).Zip(Hidden.Append(Classes), (i, o) => ((double)i, (double)o));

    /// <summary>Hidden layers have no bias (batch norm's β replaces it) and two batch-norm parameters a unit.</summary>
    public override double Parameters => Layers().Sum(l => l.In * l.Out) + 2.0 * Hidden.Sum(h => (double)h) + Classes;

    public override double MultiplyAdds => Layers().Sum(l => l.In * l.Out);

    public override IEnumerable<string> Problems()
    {
        if (Hidden.Any(w => w < 1)) yield return $"hidden: [{string.Join(", ", Hidden)}]; every layer needs at least 1 unit";
        if (NoiseStd < 0) yield return $"noiseStd: {NoiseStd} must not be negative";
        if (Dropout is < 0 or >= 1) yield return $"dropout: {Dropout} must be in [0, 1)";
        if (BnMomentum is <= 0 or > 1) yield return $"bnMomentum: {BnMomentum} must be in (0, 1]";
        if (InputStd <= 0) yield return $"inputStd: {InputStd} must be positive";
    }

    public override Classifier Build(int channels, int height, int width, int classes) =>
        new Mlp(this with { Channels = channels, Height = height, Width = width, Classes = classes });
}

/// <summary>The network of <see cref="MlpConfig"/>: flatten; (linear → BN → ReLU) for each hidden layer; linear.</summary>
public sealed class Mlp : Classifier
{
    public MlpConfig Config { get; }
    readonly ModuleList<Sequential> layers = new();
    readonly Module<Tensor, Tensor> drop;
    readonly Linear head;

    public Mlp(MlpConfig config) : base(nameof(Mlp))
    {
        if (config.Problems().FirstOrDefault() is { } problem) throw new SemisupException($"Cannot build the network: {problem}.");
        Config = config;
        int inputs = config.Channels * config.Height * config.Width;
        foreach (var width in config.Hidden)
        {
            layers.Add(Sequential(("linear", Linear(inputs, width, hasBias: false)), ("bn", BatchNorm1d(width, momentum: config.BnMomentum)), ("relu", ReLU())));
            inputs = width;
        }
        drop = Dropout(config.Dropout);
        head = Linear(inputs, config.Classes);
        RegisterComponents();
    }

    public override int Classes => Config.Classes;

    public override Tensor forward(Tensor x) => Forward(x, 0);

    public override Tensor Noisy(Tensor x) => Forward(x, Config.NoiseStd);

    Tensor Forward(Tensor x, double noiseStd)
    {
        using var scope = NewDisposeScope();
        x = ((x - Config.InputMean) / Config.InputStd).flatten(1);
        foreach (var layer in layers)
        {
            if (noiseStd > 0) x = x + randn_like(x) * noiseStd;
            x = layer.call(x);
        }
        x = drop.call(x);
        return head.call(x).MoveToOuterDisposeScope();
    }
}
