using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Semisup.Models;

/// <summary>Hyperparameters of the lab's convolutional network (section 3.3 "Final Model").</summary>
/// <param name="Activation">The convolutional layers' non-linearity (the lab: leaky ReLU); the hidden fully connected
/// layer keeps the lab's ReLU.</param>
/// <param name="HandDerived">Every non-linearity uses the hand-derived backward of <see cref="Nn.Activations"/>.</param>
/// <param name="DropoutKind">inverted (libtorch's: scaled at training) or classic (scaled at test, as the lab describes).</param>
/// <param name="SoftmaxBeta">β of the output softmax, exp(β z_i) / Σ_k exp(β z_k) (the lab's exp(−β x_i) with x = −z):
/// the network's outputs are β z, so cross-entropy, the Γ cost and evaluation all see the same sharpened softmax.
/// Training uses libtorch's fused log-softmax in the cross-entropy (stable for large β z); the hand-derived softmax
/// backward is what <c>semisup gradcheck</c> and the benchmark exercise.</param>
/// <param name="BnScaleInit">The batch-norm scales γ: ones, uniform01 or uniform (<see cref="Nn.Init.BatchNormScales"/>).</param>
/// <param name="Init">uniform (±InitRange), xavier or he; kmeans initialises as uniform here, and the trainer then
/// replaces the first layer's filters (<see cref="Nn.KMeansInit"/>).</param>
/// <param name="Channels">The image's channels, height and width and the classes come from the dataset, not the settings.</param>
public sealed record ConvNetConfig(
    double NoiseStd = 0.3, double Dropout = 0.5, double LeakySlope = 0.1, double BnMomentum = 0.1, double InitRange = 0.1,
    int Channels = 1, int Height = 28, int Width = 28,
    int Classes = 10, double InputMean = 0, double InputStd = 1,
    string Activation = "leaky_relu", bool HandDerived = false, string DropoutKind = "inverted", string Init = "uniform",
    int HiddenUnits = 100, double SoftmaxBeta = 1, string BnScaleInit = "ones") : ModelOptions
{
    public static readonly string[] Activations = ["leaky_relu", "relu", "tanh", "sigmoid"];
    public static readonly string[] DropoutKinds = ["inverted", "classic"];
    public static readonly string[] Inits = [.. Nn.Init.Names, "kmeans"];

    /// <summary>The four convolutions' square kernel sizes.</summary>
    public static readonly int[] Kernels = [5, 3, 3, 3];

    /// <summary>The four convolutions' output channels.</summary>
    public int[] ConvChannels => [32, 64, 64, 128];

    /// <summary>Channels, height and width of each convolution's input, where the noisy path adds its noise:
    /// the image, then (H−4)/2 after the 5×5 convolution and the pooling, −2, and −4 then /2.</summary>
    public (int Channels, int Height, int Width)[] ConvInputs
    {
        get
        {
            var c = ConvChannels;
            int h = (Height - 4) / 2, w = (Width - 4) / 2;
            return [(Channels, Height, Width), (c[0], h, w), (c[1], h - 2, w - 2), (c[2], (h - 4) / 2, (w - 4) / 2)];
        }
    }

    /// <summary>Height and width of the last convolution's output.</summary>
    public (int Height, int Width) FeatureMap => (ConvInputs[^1].Height - 2, ConvInputs[^1].Width - 2);

    /// <summary>The learned parameters, counted from the shapes before anything is allocated (in double: an absurd
    /// width must not overflow the count that refuses it).</summary>
    public override double Parameters
    {
        get
        {
            var c = ConvChannels;
            var (h, w) = FeatureMap;
            double conv = 0;
            for (int i = 0; i < c.Length; i++)
            {
                double inputs = i == 0 ? Channels : c[i - 1];
                conv += inputs * Kernels[i] * Kernels[i] * c[i] + c[i];
            }
            double batchNorm = 2.0 * (c.Sum(x => (double)x) + HiddenUnits + Classes);
            return conv + batchNorm + ((double)c[^1] * h * w + 1) * HiddenUnits + ((double)HiddenUnits + 1) * Classes;
        }
    }

    /// <summary>Multiply-adds of one image's pass through each convolution: stride 1, no padding, so each output
    /// pixel of each output channel takes channels × k² of them.</summary>
    public double[] ConvMultiplyAdds
    {
        get
        {
            var c = ConvChannels;
            var inputs = ConvInputs;
            var counts = new double[c.Length];
            for (int i = 0; i < c.Length; i++)
            {
                int k = Kernels[i];
                counts[i] = (double)(inputs[i].Height - k + 1) * (inputs[i].Width - k + 1) * c[i] * inputs[i].Channels * k * k;
            }
            return counts;
        }
    }

    /// <summary>Multiply-adds of one image's pass through the convolutions and fully connected layers: nearly all of the
    /// arithmetic (batch norm, pooling and activations do a few operations per value), so what bounds evaluation's speed
    /// (docs/performance.md).</summary>
    public override double MultiplyAdds
    {
        get
        {
            var (h, w) = FeatureMap;
            return ConvMultiplyAdds.Sum() + (double)ConvChannels[^1] * h * w * HiddenUnits + (double)HiddenUnits * Classes;
        }
    }

    /// <summary>What cannot build a network, each as "key: why", with the valid choices.</summary>
    public override IEnumerable<string> Problems()
    {
        if (!Activations.Contains(Activation)) yield return $"activation: '{Activation}' is not one of {string.Join(", ", Activations)}";
        if (!DropoutKinds.Contains(DropoutKind)) yield return $"dropoutKind: '{DropoutKind}' is not one of {string.Join(", ", DropoutKinds)}";
        if (!Nn.Init.BatchNormScaleNames.Contains(BnScaleInit)) yield return $"bnScaleInit: '{BnScaleInit}' is not one of {string.Join(", ", Nn.Init.BatchNormScaleNames)}";
        if (!Inits.Contains(Init)) yield return $"init: '{Init}' is not one of {string.Join(", ", Inits)}";
        if (!(SoftmaxBeta > 0)) yield return $"softmaxBeta: {SoftmaxBeta} must be positive";
        if (HiddenUnits < 1) yield return $"hiddenUnits: {HiddenUnits} must be at least 1";
        if (FeatureMap.Height < 1 || FeatureMap.Width < 1) yield return $"images of {Height}×{Width} are too small for this network (it needs at least 24×24)";
        if (NoiseStd < 0) yield return $"noiseStd: {NoiseStd} must not be negative";
        if (Dropout is < 0 or >= 1) yield return $"dropout: {Dropout} must be in [0, 1)";
        if (BnMomentum is <= 0 or > 1) yield return $"bnMomentum: {BnMomentum} must be in (0, 1]";
        if (InitRange <= 0) yield return $"initRange: {InitRange} must be positive";
        if (InputStd <= 0) yield return $"inputStd: {InputStd} must be positive";
        if (LeakySlope < 0) yield return $"leakySlope: {LeakySlope} must not be negative";
        if (WarmStart != null && Init == "kmeans") yield return "init: kmeans with warmStart: the warm start would overwrite the k-means filters of conv1; choose one";
    }

    public override ModelOptions ForInput(int channels, int height, int width, int classes) =>
        this with { Channels = channels, Height = height, Width = width, Classes = classes };

    public override Classifier Build(int channels, int height, int width, int classes) =>
        new ConvNet((ConvNetConfig)ForInput(channels, height, width, classes));
}

/// <summary>The lab's conv net: conv32 5×5 → pool → BN → lReLU → conv64 3×3 → BN → lReLU → conv64 3×3 → pool → BN →
/// lReLU → conv128 3×3 → BN → lReLU → FC100 → BN → ReLU → dropout → FC10 → BN (FC × HiddenUnits/100 when a configuration
/// widens it). Its noisy path adds Gaussian noise before every convolution (not before pooling or the
/// fully connected layers).</summary>
public sealed class ConvNet : Classifier
{
    public ConvNetConfig Config { get; }
    readonly Conv2d conv1, conv2, conv3, conv4;
    readonly BatchNorm2d bn1, bn2, bn3, bn4;
    readonly Linear fc1, fc2;
    readonly BatchNorm1d bn5, bn6;
    readonly Module<Tensor, Tensor> drop;
    readonly Func<Tensor, Tensor> convActivation, fcActivation;

    public ConvNet(ConvNetConfig config) : base(nameof(ConvNet))
    {
        if (config.Problems().FirstOrDefault() is { } problem) throw new SemisupException($"Cannot build the network: {problem}.");
        Config = config;
        convActivation = Nn.Activations.Get(config.Activation, config.HandDerived, config.LeakySlope);
        fcActivation = Nn.Activations.Get("relu", config.HandDerived);
        var c = config.ConvChannels;
        var k = ConvNetConfig.Kernels;
        conv1 = Conv2d(config.Channels, c[0], k[0]);
        conv2 = Conv2d(c[0], c[1], k[1]);
        conv3 = Conv2d(c[1], c[2], k[2]);
        conv4 = Conv2d(c[2], c[3], k[3]);
        bn1 = BatchNorm2d(c[0], momentum: config.BnMomentum);
        bn2 = BatchNorm2d(c[1], momentum: config.BnMomentum);
        bn3 = BatchNorm2d(c[2], momentum: config.BnMomentum);
        bn4 = BatchNorm2d(c[3], momentum: config.BnMomentum);
        var (h, w) = config.FeatureMap;
        fc1 = Linear((long)c[3] * h * w, config.HiddenUnits);
        bn5 = BatchNorm1d(config.HiddenUnits, momentum: config.BnMomentum);
        drop = config.DropoutKind == "classic" ? new Nn.ClassicDropout(config.Dropout) : Dropout(config.Dropout);
        fc2 = Linear(config.HiddenUnits, config.Classes);
        bn6 = BatchNorm1d(config.Classes, momentum: config.BnMomentum);
        RegisterComponents();
        Nn.Init.Apply(this, config.Init == "kmeans" ? "uniform" : config.Init, config.InitRange);
        Nn.Init.BatchNormScales(this, config.BnScaleInit, config.InitRange);
    }

    public override int Classes => Config.Classes;

    /// <summary>The clean path: pre-softmax outputs. While training it drops units as the noisy path does, as the lab's
    /// code ran one module in training mode for both passes.</summary>
    public override Tensor forward(Tensor x) => training ? Forward(x, 0) : Evaluate(x);

    /// <summary>The noisy path: the same weights, Gaussian noise before each convolution.</summary>
    public override Tensor Noisy(Tensor x) => Forward(x, Config.NoiseStd);

    /// <summary>The lab's network, layer by layer, with noise of <paramref name="noiseStd"/> before every convolution.</summary>
    Tensor Forward(Tensor x, double noiseStd)
    {
        using var scope = NewDisposeScope();
        var noise = NoiseBefore(x, noiseStd);
        x = Standardise(x);
        x = ChannelsLast(noise(x, 0));
        x = convActivation(bn1.call(Pool(conv1.call(x))));
        x = convActivation(bn2.call(conv2.call(noise(x, 1))));
        x = convActivation(bn3.call(Pool(conv3.call(noise(x, 2)))));
        x = convActivation(bn4.call(conv4.call(noise(x, 3))));
        x = fcActivation(bn5.call(fc1.call(x.flatten(1))));
        x = drop.call(x);
        x = bn6.call(fc2.call(x));
        return Sharpen(x).MoveToOuterDisposeScope();
    }

    /// <summary>The same network in evaluation, as fast as the CPU allows: each batch norm, a fixed map per channel
    /// y = scale·x + shift, folded into the layer before it (one pass over the activations fewer), and no noise.
    /// ConvNetTests prove it gives <see cref="Forward"/>'s outputs.</summary>
    Tensor Evaluate(Tensor x)
    {
        using var scope = NewDisposeScope();
        x = ChannelsLast(Standardise(x));
        x = convActivation(FoldedConv(conv1, bn1, x, pool: true));
        x = convActivation(FoldedConv(conv2, bn2, x, pool: false));
        x = convActivation(FoldedConv(conv3, bn3, x, pool: true));
        x = convActivation(FoldedConv(conv4, bn4, x, pool: false));
        x = fcActivation(FoldedLinear(fc1, bn5, x.flatten(1)));
        x = drop.call(x); // identity, or classic dropout's scaling at test
        x = FoldedLinear(fc2, bn6, x);
        return Sharpen(x).MoveToOuterDisposeScope();
    }

    /// <summary>Inside the model, so checkpoints carry it to evaluate and predict; noise is added after it.</summary>
    Tensor Standardise(Tensor x) => Config.InputMean != 0 || Config.InputStd != 1 ? (x - Config.InputMean) / Config.InputStd : x;

    Tensor Sharpen(Tensor logits) => Config.SoftmaxBeta == 1 ? logits : logits * Config.SoftmaxBeta;

    static Tensor Pool(Tensor x) => functional.max_pool2d(x, 2);

    /// <summary>Convolution, 2×2 max pooling if <paramref name="pool"/>, batch norm folded into the convolution.
    /// Through the pooling only where no scale is negative, as max commutes only with non-decreasing maps;
    /// otherwise the batch norm runs after the pooling, unfolded.</summary>
    static Tensor FoldedConv(Conv2d conv, BatchNorm2d bn, Tensor x, bool pool)
    {
        var scale = FoldedScale(bn);
        if (pool && !scale.ge(0).all().item<bool>()) return bn.call(Pool(conv.call(x)));
        // conv2d's defaults (stride 1, no padding) are those of the convolutions this class builds.
        var y = functional.conv2d(x, conv.weight! * scale.view(-1, 1, 1, 1), FoldedBias(conv.bias!, bn, scale));
        return pool ? Pool(y) : y;
    }

    /// <summary>A fully connected layer with its batch norm folded in, as <see cref="FoldedConv"/>.</summary>
    static Tensor FoldedLinear(Linear fc, BatchNorm1d bn, Tensor x)
    {
        var scale = FoldedScale(bn);
        return functional.linear(x, fc.weight! * scale.unsqueeze(1), FoldedBias(fc.bias!, bn, scale));
    }

    /// <summary>Batch norm's running statistics as a scale per channel: γ / √(σ² + ε).</summary>
    static Tensor FoldedScale(BatchNorm bn) => bn.weight! / (bn.running_var! + bn.eps).sqrt();

    /// <summary>A layer's bias b followed by the batch norm: scale·(b − μ) + β.</summary>
    static Tensor FoldedBias(Tensor bias, BatchNorm bn, Tensor scale) => (bias - bn.running_mean!) * scale + bn.bias!;

    /// <summary>Adds noise of standard deviation <paramref name="std"/> to a convolution's input (by index, 0–3). One
    /// draw of <see cref="Nn.GaussianNoise"/> serves the pass: layer by layer, each layer's share viewed in N, H, W, C
    /// order, the memory order of the inputs from the second convolution on (on the CPU), so the sum reads both in
    /// step. The first convolution's input is reordered after its noise; with one channel the two orders are one.</summary>
    Func<Tensor, int, Tensor> NoiseBefore(Tensor images, double std)
    {
        if (std == 0) return (t, _) => t;
        long n = images.shape[0];
        var layers = Config.ConvInputs;
        var sizes = layers.Select(l => n * l.Channels * l.Height * l.Width).ToArray();
        var all = Nn.GaussianNoise.Draw(sizes.Sum(), images.dtype, images.device);
        return (t, layer) =>
        {
            var (c, h, w) = layers[layer];
            var share = all.narrow(0, sizes[..layer].Sum(), sizes[layer]).view(n, h, w, c).permute(0, 3, 1, 2);
            return t.add(share, std);
        };
    }

    /// <summary>On the CPU, the same values in channels-last (NHWC) memory order. libtorch's CPU max pooling is several
    /// times faster over channels-last memory than over NCHW. A convolution given channels-last input returns
    /// channels-last output and every later layer keeps the order it is given, so one copy of the network's input is
    /// enough; reordering the first convolution's output instead cost more (docs/performance.md). With one channel
    /// the values are in NCHW's order already and only the strides say channels-last, so this is a copy into
    /// channels-last strides: permute and contiguous would keep NCHW's strides, and libtorch would choose NCHW. Only
    /// float summation order changes. Other devices keep NCHW: nothing measured them.</summary>
    public static Tensor ChannelsLast(Tensor x)
    {
        if (x.device_type != DeviceType.CPU) return x;
        var s = x.shape; // N, C, H, W
        return empty_strided(s, [s[1] * s[2] * s[3], 1, s[3] * s[1], s[1]], x.dtype, x.device).copy_(x);
    }
}
