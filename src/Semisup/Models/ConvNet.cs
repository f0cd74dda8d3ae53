using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Semisup.Models;

/// <summary>Hyperparameters of the lab's convolutional network (section 3.3 "Final Model").</summary>
public sealed record ConvNetConfig(
    double NoiseStd = 0.3, double Dropout = 0.5, double LeakySlope = 0.1, double BnMomentum = 0.1, double InitRange = 0.1,
    int Channels = 1, int Height = 28, int Width = 28, int Classes = 10);

/// <summary>The lab's conv net: conv32 5×5 → pool → BN → lReLU → conv64 3×3 → BN → lReLU → conv64 3×3 → pool → BN →
/// lReLU → conv128 3×3 → BN → lReLU → FC100 → BN → ReLU → dropout → FC10 → BN. Its noisy path adds Gaussian noise
/// before every convolution (not before pooling or the fully connected layers).</summary>
public sealed class ConvNet : Module<Tensor, Tensor>
{
    public ConvNetConfig Config { get; }
    readonly Conv2d conv1, conv2, conv3, conv4;
    readonly BatchNorm2d bn1, bn2, bn3, bn4;
    readonly Linear fc1, fc2;
    readonly BatchNorm1d bn5, bn6;
    readonly Dropout drop;

    public ConvNet(ConvNetConfig config) : base(nameof(ConvNet))
    {
        Config = config;
        conv1 = Conv2d(config.Channels, 32, 5);
        conv2 = Conv2d(32, 64, 3);
        conv3 = Conv2d(64, 64, 3);
        conv4 = Conv2d(64, 128, 3);
        bn1 = BatchNorm2d(32, momentum: config.BnMomentum);
        bn2 = BatchNorm2d(64, momentum: config.BnMomentum);
        bn3 = BatchNorm2d(64, momentum: config.BnMomentum);
        bn4 = BatchNorm2d(128, momentum: config.BnMomentum);
        // Spatial size: (H−4)/2 → −2 → −2, /2 → −2.
        int h = ((config.Height - 4) / 2 - 4) / 2 - 2, w = ((config.Width - 4) / 2 - 4) / 2 - 2;
        if (h < 1 || w < 1) throw new SemisupException($"Images of {config.Height}×{config.Width} are too small for this network (needs at least 22×22).");
        fc1 = Linear(128 * h * w, 100);
        bn5 = BatchNorm1d(100, momentum: config.BnMomentum);
        drop = Dropout(config.Dropout);
        fc2 = Linear(100, config.Classes);
        bn6 = BatchNorm1d(config.Classes, momentum: config.BnMomentum);
        RegisterComponents();
        Semisup.Nn.Init.Apply(this, "uniform", config.InitRange);
    }

    /// <summary>The clean path: pre-softmax outputs.</summary>
    public override Tensor forward(Tensor x) => Forward(x, 0);

    /// <summary>The noisy path: the same weights, Gaussian noise before each convolution.</summary>
    public Tensor Noisy(Tensor x) => Forward(x, Config.NoiseStd);

    Tensor Forward(Tensor x, double noise)
    {
        using var scope = NewDisposeScope();
        Tensor N(Tensor t) => noise > 0 ? t + randn_like(t) * noise : t;
        var slope = Config.LeakySlope;
        x = functional.leaky_relu(bn1.call(functional.max_pool2d(conv1.call(N(x)), 2)), slope);
        x = functional.leaky_relu(bn2.call(conv2.call(N(x))), slope);
        x = functional.leaky_relu(bn3.call(functional.max_pool2d(conv3.call(N(x)), 2)), slope);
        x = functional.leaky_relu(bn4.call(conv4.call(N(x))), slope);
        x = drop.call(functional.relu(bn5.call(fc1.call(x.flatten(1)))));
        return bn6.call(fc2.call(x)).MoveToOuterDisposeScope();
    }

    /// <summary>Parameter and buffer names with shapes: what a checkpoint must match to be loaded into this model.</summary>
    public string Signature() => string.Join(";", state_dict().Select(kv => $"{kv.Key}:{string.Join("x", kv.Value.shape)}"));
}
