using Semisup.Data;
using Semisup.Models;
using Semisup.Nn;
using Semisup.Training;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Semisup.Tests.Models;

public class ConvNetTests
{
    [Fact]
    public void Shapes_and_initialisation_follow_the_lab()
    {
        manual_seed(1);
        using var net = new ConvNet(new ConvNetConfig());
        using var x = rand(7, 1, 28, 28);
        using var y = net.call(x);
        Assert.Equal([7L, 10], y.shape);
        var sd = net.state_dict();
        Assert.Equal([100L, 512], sd["fc1.weight"].shape); // 128 channels × 2 × 2, computed from 28×28
        foreach (var (name, p) in net.named_parameters())
        {
            if (name.StartsWith("bn")) continue;
            if (name.EndsWith("bias")) Assert.Equal(0f, p.abs().max().item<float>());
            else
            {
                Assert.True(p.abs().max().item<float>() <= 0.1f, name);
                Assert.True(p.abs().max().item<float>() > 0.09f, name); // uniform over the whole range, not a narrower one
            }
        }
    }

    [Theory]
    [InlineData(100, 1, 10, 28, 28, 183_218)] // the lab's network; the counts are PyTorch's, of the same layers
    [InlineData(100, 1, 10, 32, 32, 247_218)]
    [InlineData(100, 1, 10, 24, 24, 144_818)]  // the smallest images the network takes
    [InlineData(500, 1, 10, 28, 28, 0)]
    [InlineData(7, 3, 4, 28, 28, 0)]
    public void The_size_check_counts_the_parameters_the_network_allocates(int hidden, int channels, int classes, int height, int imageWidth, int byPyTorch)
    {
        var config = new ConvNetConfig(HiddenUnits: hidden, Channels: channels, Classes: classes, Height: height, Width: imageWidth);
        using var net = new ConvNet(config);
        long allocated = net.parameters().Sum(p => p.numel());
        Assert.Equal(allocated, config.Parameters);
        if (byPyTorch > 0) Assert.Equal(byPyTorch, allocated);
        using var y = net.call(rand(2, channels, height, imageWidth));
        Assert.Equal([2L, classes], y.shape);
    }

    [Theory]
    [InlineData(100, 1, 10, 28, 28, 5_010_408)] // the lab's network; the counts are of PyTorch's layers, by their shapes
    [InlineData(100, 1, 10, 32, 32, 7_747_560)]
    [InlineData(100, 1, 10, 24, 24, 2_914_280)]
    [InlineData(100, 1, 10, 28, 36, 7_427_048)] // not square: height and width must not be swapped
    [InlineData(100, 1, 10, 29, 31, 5_568_840)] // odd: the poolings round down
    [InlineData(500, 3, 4, 28, 28, 0)]
    public void Counts_the_multiply_adds_of_the_layers_the_network_runs(int hidden, int channels, int classes, int height, int imageWidth, int byPyTorch)
    {
        var config = new ConvNetConfig(HiddenUnits: hidden, Channels: channels, Classes: classes, Height: height, Width: imageWidth);
        using var net = new ConvNet(config);
        double counted = 0;
        foreach (var (_, module) in net.named_children())
            if (module is Conv2d conv)
                conv.register_forward_hook((_, x, y) => { counted += y.numel() / y.shape[0] * x.shape[1] * conv.weight!.shape[2] * conv.weight.shape[3]; return y; });
            else if (module is Linear fc)
                fc.register_forward_hook((_, x, y) => { counted += fc.weight!.numel(); return y; });
        using var logits = net.call(rand(2, channels, height, imageWidth)); // training mode: the layers run as modules
        Assert.Equal(counted, config.MultiplyAdds);
        if (byPyTorch > 0) Assert.Equal(byPyTorch, config.MultiplyAdds);
    }

    [Fact]
    public void Images_smaller_than_24_by_24_are_refused_with_the_size_needed()
    {
        var e = Assert.Throws<SemisupException>(() => new ConvNet(new ConvNetConfig(Height: 23, Width: 40)));
        Assert.Equal("Cannot build the network: images of 23×40 are too small for this network (it needs at least 24×24).", e.Message);
    }

    [Theory]
    [InlineData(false, false, 1, false)]
    [InlineData(true, false, 1, false)]
    [InlineData(false, true, 1, false)]
    [InlineData(true, true, 1, false)]
    [InlineData(true, true, 3, false)]
    [InlineData(false, false, 1, true)]
    [InlineData(false, true, 3, true)]
    [InlineData(true, true, 1, false, 500)] // gamma-hidden-500's hiddenUnits, in training and evaluation
    [InlineData(false, true, 3, true, 20)]
    public void Computes_the_labs_layers_as_plain_NCHW_operations_do(bool training, bool noisy, int channels, bool negativeScales,
        int hiddenUnits = 100)
    {
        // ConvNet reorders its activations in memory for speed and folds batch norm into the layer before it in
        // evaluation; values, noise and gradients must be those of the layers as written, with the noise of one draw
        // added before each convolution, each layer's share in N, H, W, C order. A negative batch-norm scale after a
        // pooling layer must not be folded through the pooling (max does not commute with a decreasing map).
        manual_seed(5);
        using var net = new ConvNet(new ConvNetConfig(Dropout: 0, Channels: channels, HiddenUnits: hiddenUnits));
        for (int i = 0; i < 3; i++) { using var warm = net.call(rand(16, channels, 28, 28)); } // running statistics off their initial values
        using (no_grad())
        {
            // Every bias and batch-norm scale away from its initial value, so that the folded bias is checked too.
            foreach (var (name, q) in net.named_parameters())
                if (name.EndsWith("bias")) q.normal_(0, 0.5);
                else if (name.StartsWith("bn")) q.uniform_(0.5, 1.5);
            if (negativeScales)
                foreach (var bn in new[] { "bn1", "bn2", "bn3", "bn5" })
                    net.named_parameters().Single(q => q.name == $"{bn}.weight").parameter[1] = tensor(-0.7f);
        }
        net.train(training);
        // A slice, as evaluation's batches are: the reorder must read from the view's offset.
        using var images = rand(8, channels, 28, 28);
        using var x = images[2..];
        // Weights in the loss: Σ y² over a batch-normalised output would be nearly constant in training mode.
        using var lossWeights = randn(6, 10);
        using var scope = NewDisposeScope();
        var learned = net.named_parameters().Select(p => p.name).ToHashSet();
        var p = net.state_dict().ToDictionary(kv => kv.Key, kv => learned.Contains(kv.Key) ? kv.Value.detach().clone().requires_grad_() : kv.Value.clone());
        double slope = net.Config.LeakySlope, std = net.Config.NoiseStd;
        Tensor Bn(Tensor t, string name) => nn.functional.batch_norm(t, p[$"{name}.running_mean"], p[$"{name}.running_var"],
            p[$"{name}.weight"], p[$"{name}.bias"], training);
        manual_seed(6);
        var widths = net.Config.ConvChannels;
        var noise = GaussianNoise.Draw(6 * (channels * 28 * 28 + widths[0] * 12 * 12 + widths[1] * 10 * 10 + widths[2] * 4 * 4));
        long used = 0;
        Tensor Noisy(Tensor t)
        {
            var (n, c, h, w) = (t.shape[0], t.shape[1], t.shape[2], t.shape[3]);
            var share = noise.narrow(0, used, n * c * h * w).view(n, h, w, c).permute(0, 3, 1, 2);
            used += n * c * h * w;
            return t + share * std;
        }
        Tensor Conv(Tensor t, string name) => nn.functional.conv2d(noisy ? Noisy(t) : t, p[$"{name}.weight"], p[$"{name}.bias"]);
        Tensor Leaky(Tensor t) => nn.functional.leaky_relu(t, slope);

        var h = Leaky(Bn(nn.functional.max_pool2d(Conv(x, "conv1"), 2), "bn1"));
        h = Leaky(Bn(Conv(h, "conv2"), "bn2"));
        h = Leaky(Bn(nn.functional.max_pool2d(Conv(h, "conv3"), 2), "bn3"));
        h = Leaky(Bn(Conv(h, "conv4"), "bn4"));
        h = Bn(nn.functional.linear(h.flatten(1), p["fc1.weight"], p["fc1.bias"]), "bn5").relu();
        var expected = Bn(nn.functional.linear(h, p["fc2.weight"], p["fc2.bias"]), "bn6");
        (expected * lossWeights).sum().backward();
        manual_seed(6);
        var actual = noisy ? net.Noisy(x) : net.call(x);
        (actual * lossWeights).sum().backward();

        // Training-mode batch norm over 6 samples amplifies float32 rounding, and libtorch picks its summation order
        // by thread count: 1e-4 absolute still fails any wrong layer, whose errors are of order 0.1.
        Assert.True(actual.allclose(expected, rtol: 1e-4, atol: 1e-4), $"outputs differ by up to {(actual - expected).abs().max().item<float>()}");
        foreach (var name in new[] { "conv1.weight", "fc2.weight", "bn1.weight", "bn2.bias", "bn5.weight", "bn6.bias" })
        {
            var gradient = net.named_parameters().Single(q => q.name == name).parameter.grad!;
            var expectedGradient = p[name].grad!;
            double relative = ((gradient - expectedGradient).norm() / expectedGradient.norm()).item<float>();
            Assert.True(relative < 1e-4, $"{name}'s gradients differ by {relative} of their norm");
        }
    }

    [Theory]
    [InlineData(1, false)]
    [InlineData(3, false)]
    [InlineData(1, true)]
    [InlineData(3, true)]
    public void Gives_the_first_convolution_channels_last_memory_on_the_CPU(int channels, bool noisy)
    {
        // Speed, not values (the test above checks those): libtorch chooses a convolution's memory order from its input's
        // strides; for one channel a reorder by permute and contiguous would keep NCHW's strides, and so would adding
        // the noise after the reorder (the sum's strides follow libtorch's choice, not the operands').
        using var net = new ConvNet(new ConvNetConfig(Channels: channels));
        var conv1 = (nn.Module<Tensor, Tensor>)net.named_children().Single(c => c.name == "conv1").module;
        long[]? input = null, output = null;
        conv1.register_forward_hook((_, x, y) => { (input, output) = (x.stride(), y.stride()); return y; });
        using var images = rand(2, channels, 28, 28);
        using var logits = noisy ? net.Noisy(images) : net.call(images);
        Assert.Equal([28 * 28 * channels, 1, 28 * channels, channels], input!);
        Assert.Equal([24 * 24 * 32, 1, 24 * 32, 32], output!);
    }

    [Fact]
    public void Evaluation_folds_each_batch_norm_into_its_layer_unless_a_negative_scale_follows_a_pooling()
    {
        // Speed, not values (the NCHW test checks those): a folded batch norm is not run as a module.
        using var net = new ConvNet(new ConvNetConfig());
        var called = new List<string>();
        foreach (var (name, module) in net.named_children().Where(c => c.name.StartsWith("bn")))
            ((nn.Module<Tensor, Tensor>)module).register_forward_hook((_, _, y) => { called.Add(name); return y; });
        using var x = rand(4, 1, 28, 28);
        void Forward() { using var scope = NewDisposeScope(); net.call(x); }
        net.eval();
        Forward();
        Assert.Empty(called);
        using (no_grad())
            foreach (var bn in new[] { "bn3", "bn4" })
                net.named_parameters().Single(q => q.name == $"{bn}.weight").parameter[0] = tensor(-1f);
        Forward();
        Assert.Equal(["bn3"], called);
        called.Clear();
        net.train();
        Forward();
        Assert.Equal(["bn1", "bn2", "bn3", "bn4", "bn5", "bn6"], called);
    }

    [Fact]
    public void Noise_is_only_on_the_noisy_path()
    {
        manual_seed(2);
        using var net = new ConvNet(new ConvNetConfig(Dropout: 0));
        net.eval();
        using var x = rand(4, 1, 28, 28);
        using var a = net.call(x);
        using var b = net.call(x);
        using var n = net.Noisy(x);
        Assert.True(a.eq(b).all().item<bool>());
        Assert.False(a.allclose(n, atol: 1e-3));
    }

    [Fact]
    public void Evaluation_uses_running_statistics_and_no_dropout()
    {
        manual_seed(3);
        using var net = new ConvNet(new ConvNetConfig());
        net.train();
        for (int i = 0; i < 5; i++) { using var warm = net.call(rand(32, 1, 28, 28)); } // move the running statistics
        using var images = rand(64, 1, 28, 28);
        using var set = new ImageSet(images.clone(), randint(0, 10, [64]));
        var all = Evaluator.Evaluate(net, set, batchSize: 64);
        var oneByOne = Evaluator.Evaluate(net, set, batchSize: 1); // batch statistics of one image would be degenerate
        Assert.Equal(all.Predictions, oneByOne.Predictions);
        Assert.Equal(all.Loss, oneByOne.Loss, 4);
        Assert.True(net.training, "evaluation must restore training mode");
        var again = Evaluator.Evaluate(net, set, batchSize: 64);
        Assert.Equal(all.Probabilities, again.Probabilities); // no dropout: deterministic
        Assert.Equal(new Score(all.Loss, all.Accuracy), Evaluator.Score(net, set, batchSize: 64));
    }

    [Fact]
    public void Overfits_64_examples_to_100_percent()
    {
        manual_seed(4);
        using var net = new ConvNet(new ConvNetConfig(NoiseStd: 0, Dropout: 0));
        using var x = rand(64, 1, 28, 28);
        using var y = arange(64) % 10;
        var adam = optim.Adam(net.parameters(), 1e-2);
        for (int step = 0; step < 150; step++)
        {
            using var scope = NewDisposeScope();
            adam.zero_grad();
            nn.functional.cross_entropy(net.call(x), y).backward();
            adam.step();
        }
        using var set = new ImageSet(x.clone(), y.clone());
        Assert.Equal(1.0, Evaluator.Evaluate(net, set, 64).Accuracy);
    }

    static (float[] Output, float[] Gradient) OutputAndGradient(ConvNetConfig config, Tensor x)
    {
        manual_seed(8);
        using var net = new ConvNet(config);
        using var scope = NewDisposeScope();
        var y = net.call(x);
        y.pow(2).sum().backward();
        return (y.data<float>().ToArray(), net.parameters().SelectMany(p => p.grad!.data<float>().ToArray()).ToArray());
    }

    [Theory]
    [InlineData("leaky_relu")]
    [InlineData("tanh")]
    [InlineData("sigmoid")]
    public void Hand_derived_activations_give_the_built_in_outputs_and_gradients(string activation)
    {
        manual_seed(9);
        using var x = rand(6, 1, 28, 28);
        var builtIn = OutputAndGradient(new ConvNetConfig(Dropout: 0, Activation: activation), x);
        var hand = OutputAndGradient(new ConvNetConfig(Dropout: 0, Activation: activation, HandDerived: true), x);
        Assert.Equal(builtIn.Output, hand.Output, (a, b) => Math.Abs(a - b) < 1e-4);
        Assert.Equal(builtIn.Gradient, hand.Gradient, (a, b) => Math.Abs(a - b) < 1e-3 * (1 + Math.Abs(a)));
        if (activation != "leaky_relu")
            Assert.NotEqual(OutputAndGradient(new ConvNetConfig(Dropout: 0), x).Output, builtIn.Output); // the switch changes the network
    }

    [Fact]
    public void The_dropout_kind_picks_the_networks_dropout_module_and_an_unknown_activation_is_refused()
    {
        manual_seed(10);
        using var net = new ConvNet(new ConvNetConfig(DropoutKind: "classic", Dropout: 0.5));
        Assert.IsType<Semisup.Nn.ClassicDropout>(net.named_modules().Single(m => m.name == "drop").module);
        using var inverted = new ConvNet(new ConvNetConfig());
        Assert.IsType<TorchSharp.Modules.Dropout>(inverted.named_modules().Single(m => m.name == "drop").module);
        Assert.Throws<SemisupException>(() => new ConvNet(new ConvNetConfig(Activation: "swish")));
    }

    [Fact]
    public void Softmax_beta_sharpens_the_outputs_and_keeps_the_predictions()
    {
        manual_seed(12);
        using var x = rand(5, 1, 28, 28);
        var plain = OutputAndGradient(new ConvNetConfig(Dropout: 0), x).Output;
        var sharp = OutputAndGradient(new ConvNetConfig(Dropout: 0, SoftmaxBeta: 2.5), x).Output;
        Assert.Equal(plain.Select(v => v * 2.5f), sharp, (a, b) => Math.Abs(a - b) < 1e-4);
    }

    [Fact]
    public void Input_standardisation_is_part_of_the_model()
    {
        manual_seed(11);
        using var x = rand(5, 1, 28, 28);
        var standardised = OutputAndGradient(new ConvNetConfig(Dropout: 0, InputMean: 0.5, InputStd: 0.25), x).Output;
        var byHand = OutputAndGradient(new ConvNetConfig(Dropout: 0), (x - 0.5) / 0.25).Output;
        Assert.Equal(byHand, standardised, (a, b) => Math.Abs(a - b) < 1e-4);
    }
}
