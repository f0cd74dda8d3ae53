using Semisup.Optim;
using Semisup.Data;
using Semisup.Methods;
using Semisup.Models;
using Semisup.Tests.Data;
using Semisup.Tests.Training;
using Semisup.Training;
using static TorchSharp.torch;

namespace Semisup.Tests.Models;

[Collection("mnist")]
public class LadderTests(MnistFixture mnist)
{
    static readonly double[] PaperCosts = [1000, 10, 0.1, 0.1, 0.1, 0.1, 0.1];

    /// <summary>A ladder whose combinators are away from their starting values, as after some training, so
    /// reconstructions are not all 0.</summary>
    static LadderNet WithMovedCombinators(int seed, double noiseStd = 0.3)
    {
        manual_seed(seed);
        var net = new LadderNet(new LadderConfig(LadderConfig.PaperLayers, NoiseStd: noiseStd));
        using (no_grad()) foreach (var (name, p) in net.named_parameters()) if (name.StartsWith("combinator")) p.normal_(0, 0.5);
        return net;
    }

    [Fact]
    public void Every_encoder_and_decoder_layer_has_the_papers_shape()
    {
        manual_seed(1);
        using var net = new LadderNet(new LadderConfig(LadderConfig.PaperLayers));
        var sd = net.state_dict();
        int[] n = LadderConfig.PaperLayers;
        for (int l = 1; l < n.Length; l++)
        {
            Assert.Equal([n[l], (long)n[l - 1]], sd[$"encoder{l}.weight"].shape);
            Assert.Equal([n[l - 1], (long)n[l]], sd[$"decoder{l}.weight"].shape);
            Assert.Equal([(long)n[l]], sd[$"beta{l}"].shape);
            Assert.Equal([(long)n[l]], sd[$"running_var{l}"].shape);
        }
        for (int l = 0; l < n.Length; l++) Assert.Equal([10L, n[l]], sd[$"combinator{l}"].shape);
        Assert.Equal([10L], sd["gamma6"].shape);
        Assert.False(sd.ContainsKey("encoder1.bias"), "β replaces the biases");

        using var x = rand(8, 1, 28, 28);
        var pass = net.Encode(x, corrupted: true);
        var zHat = net.Decode(pass);
        Assert.Equal([8L, 10], pass.Logits.shape);
        for (int l = 0; l < n.Length; l++)
        {
            Assert.Equal([8L, n[l]], pass.Z[l].shape);
            Assert.Equal([8L, n[l]], zHat[l]!.shape);
        }
    }

    [Fact]
    public void The_size_check_counts_the_parameters_the_network_allocates()
    {
        foreach (int[] layers in new[] { LadderConfig.PaperLayers, [20, 8, 3] })
        {
            var config = new LadderConfig(layers);
            using var net = new LadderNet(config);
            Assert.Equal(net.parameters().Sum(p => p.numel()), config.Parameters);
        }
        // W and V 20×8 and 8×3, β 8 and 3, γ 3, a 10 × (20 + 8 + 3), counted by hand.
        Assert.Equal(2 * 160 + 2 * 24 + 11 + 3 + 310, new LadderConfig([20, 8, 3]).Parameters);
    }

    [Fact]
    public void The_combinators_gradient_matches_finite_differences()
    {
        manual_seed(2);
        var z = randn(5, 4, dtype: ScalarType.Float64).requires_grad_();
        var u = randn(5, 4, dtype: ScalarType.Float64).requires_grad_();
        var a = randn(10, 4, dtype: ScalarType.Float64).requires_grad_();
        var weights = randn(5, 4, dtype: ScalarType.Float64);
        double F() { using var _ = no_grad(); return (Combinator.Apply(z, u, a) * weights).sum().item<double>(); }
        (Combinator.Apply(z, u, a) * weights).sum().backward();
        const double h = 1e-6;
        foreach (var t in new[] { z, u, a })
        {
            var flat = t.detach().view(-1);
            var grad = t.grad!.view(-1);
            for (int i = 0; i < flat.numel(); i++)
            {
                double old = flat[i].item<double>();
                flat[i] = old + h; double plus = F();
                flat[i] = old - h; double minus = F();
                flat[i] = old;
                Assert.Equal((plus - minus) / (2 * h), grad[i].item<double>(), 6);
            }
        }
        // With the papers' starting values, g passes nothing of z̃ through yet: υ = 0, so ẑ = μ(u) = 0.
        Assert.Equal(0.0, Combinator.Apply(z, u, Combinator.Initial(4).to_type(ScalarType.Float64)).abs().max().item<double>());
    }

    [Fact]
    public void With_every_lambda_zero_and_no_noise_the_loss_is_the_supervised_loss()
    {
        manual_seed(3);
        using var net = new LadderNet(new LadderConfig(LadderConfig.PaperLayers, NoiseStd: 0));
        using var x = rand(12, 1, 28, 28);
        using var y = randint(0, 10, [12]);
        using var u = rand(20, 1, 28, 28);
        var loss = new Ladder(new double[7]).Loss(net, new Batch(x, y, u, new Progress(1, 0, 1), new Augment()));
        // The labeled rows are normalised by their own statistics: the clean network on them alone.
        var expected = nn.functional.cross_entropy(net.call(x), y);
        Assert.Equal(expected.item<float>(), loss.Total.item<float>(), 5);
        Assert.Equal(0f, loss.Unsupervised!.item<float>());
    }

    [Fact]
    public void Reconstructions_are_normalised_with_the_clean_passs_batch_statistics()
    {
        using var net = WithMovedCombinators(4);
        using var x = rand(10, 1, 28, 28);
        using var y = randint(0, 10, [10]);
        using var u = rand(30, 1, 28, 28);
        var all = cat([x, u], 0);

        manual_seed(5);
        var loss = new Ladder(PaperCosts).Loss(net, new Batch(x, y, u, new Progress(1, 0, 1), new Augment()));
        manual_seed(5);
        var clean = net.Encode(all, corrupted: false, 10);
        var corrupted = net.Encode(all, corrupted: true, 10);
        var zHat = net.Decode(corrupted, 0, 10);
        double With(Func<int, Tensor> mean, Func<int, Tensor> std)
        {
            double cost = 0;
            for (int l = 0; l <= 6; l++)
                cost += PaperCosts[l] * ((zHat[l]! - mean(l)) / std(l) - clean.Z[l]).pow(2).sum(1).mean().item<float>() / clean.Z[l].shape[1];
            return cost;
        }
        // The clean pre-activations' statistics, from scratch: labeled rows (10) and unlabeled rows (30) apart.
        var (means, stds) = (new List<Tensor> { zeros(1) }, new List<Tensor> { ones(1) });
        using (no_grad())
        {
            var sd = net.state_dict();
            Tensor Group(Tensor t, Func<Tensor, Tensor> stat) => cat([stat(t[..10]).expand(10, -1), stat(t[10..]).expand(30, -1)], 0);
            var h = all.flatten(1);
            for (int l = 1; l <= 6; l++)
            {
                var pre = h.matmul(sd[$"encoder{l}.weight"].T);
                means.Add(Group(pre, t => t.mean([0])));
                stds.Add(Group(pre, t => (t.var(0, unbiased: false) + 1e-5).sqrt()));
                var z = (pre - means[l]) / stds[l];
                h = l == 6 ? z : nn.functional.relu(z + sd[$"beta{l}"]);
            }
        }
        double byClean = With(l => means[l], l => stds[l]);
        double byCorrupted = With(l => corrupted.Mean[l], l => corrupted.Std[l]);
        Assert.Equal(byClean, loss.Unsupervised!.item<float>(), byClean * 1e-4);
        Assert.True(Math.Abs(byCorrupted - byClean) > 1e-3 * byClean, $"corrupted statistics give {byCorrupted}, clean {byClean}: the test must tell them apart");
    }

    [Fact]
    public void Labeled_and_unlabeled_rows_are_normalised_apart_and_running_statistics_follow_the_unlabeled()
    {
        manual_seed(7);
        using var net = new LadderNet(new LadderConfig([20, 8, 3], NoiseStd: 0));
        // Labeled rows far from the unlabeled ones: a shared normalisation would leave them off-centre.
        using var x = cat([rand(6, 20) + 5, rand(14, 20)], 0);
        var pass = net.Encode(x, corrupted: false, labeled: 6);
        foreach (var rows in new[] { pass.Z[1][..6], pass.Z[1][6..] })
        {
            Assert.True(rows.mean([0]).abs().max().item<float>() < 1e-4);
            Assert.True((rows.var(0, unbiased: false) - 1).abs().max().item<float>() < 1e-2);
        }
        // Momentum 0.1 from zeros: the running mean is a tenth of the unlabeled rows' mean pre-activation.
        var pre = x[6..].matmul(net.state_dict()["encoder1.weight"].T);
        Assert.True((net.state_dict()["running_mean1"] - 0.1 * pre.mean([0])).abs().max().item<float>() < 1e-5);
    }

    [Fact]
    public void The_input_can_take_its_own_noise_and_only_the_clean_pass_moves_the_running_statistics()
    {
        manual_seed(8);
        using var x = rand(4000, 20);
        using var onlyInput = new LadderNet(new LadderConfig([20, 8, 3], NoiseStd: 0, InputNoiseStd: 0.5));
        var pass = onlyInput.Encode(x, corrupted: true);
        Assert.Equal(0.5, (pass.Z[0] - x).std().item<float>(), 2);
        Assert.True(onlyInput.state_dict()["running_mean1"].abs().max().item<float>() == 0, "a corrupted pass left the running mean alone");
        var clean = onlyInput.Encode(x, corrupted: false);
        Assert.True((clean.Z[0] - x).abs().max().item<float>() == 0);
        Assert.True(onlyInput.state_dict()["running_mean1"].abs().max().item<float>() > 0, "the clean pass moved the running mean");

        using var noInput = new LadderNet(new LadderConfig([20, 8, 3], NoiseStd: 0.3, InputNoiseStd: 0));
        var hidden = noInput.Encode(x, corrupted: true);
        var reference = noInput.Encode(x, corrupted: false);
        Assert.True((hidden.Z[0] - x).abs().max().item<float>() == 0, "no noise on the input");
        Assert.Equal(0.3, (hidden.Z[1] - reference.Z[1]).std().item<float>(), 2);
    }

    [Fact]
    public void The_denoising_cost_scores_the_labeled_rows_too()
    {
        using var net = WithMovedCombinators(9);
        using var x = rand(6, 1, 28, 28);
        using var other = rand(6, 1, 28, 28);
        using var y = randint(0, 10, [6]);
        using var u = rand(10, 1, 28, 28);
        float Cost(Tensor labeled)
        {
            manual_seed(10); // the same noise draws each time
            return new Ladder(PaperCosts).Loss(net, new Batch(labeled, y, u, new Progress(1, 0, 1), new Augment())).Unsupervised!.item<float>();
        }
        Assert.NotEqual(Cost(x), Cost(other));
    }

    [Fact]
    public void Every_lambda_term_sends_gradient_into_the_decoder()
    {
        // At the papers' starting values g ignores u (ẑ = 0), so only the combinators get gradient; after the first
        // updates they do not, and the projections V must then receive it too.
        using var net = WithMovedCombinators(6);
        using var x = rand(6, 1, 28, 28);
        using var y = randint(0, 10, [6]);
        using var u = rand(10, 1, 28, 28);
        for (int layer = 0; layer <= 6; layer++)
        {
            var costs = new double[7];
            costs[layer] = 1;
            net.zero_grad();
            using var scope = NewDisposeScope();
            new Ladder(costs).Loss(net, new Batch(x, y, u, new Progress(1, 0, 1), new Augment())).Unsupervised!.backward();
            var grads = net.named_parameters().ToDictionary(p => p.name, p => p.parameter.grad is { } g ? g.abs().sum().item<float>() : 0f);
            Assert.True(grads[$"combinator{layer}"] > 0, $"λ_{layer} reaches its combinator");
            if (layer < 6) Assert.True(grads[$"decoder{layer + 1}.weight"] > 0, $"λ_{layer} reaches V_{layer + 1}");
            for (int below = 0; below < layer; below++) Assert.Equal(0f, grads[$"combinator{below}"]);
        }
    }

    [Fact]
    public void Layer_sizes_that_do_not_fit_the_data_stop_training_before_it_starts()
    {
        using var data = SmallRuns.Data(mnist);
        var recipe = SmallRuns.Recipe() with { Model = new LadderConfig([100, 50, 10]), Method = new Ladder([1, 1, 1]) };
        using var dir = new TempDir();
        var e = Assert.Throws<SemisupException>(() => Trainer.Run(recipe.Validate(), new RunDirectory(dir.Path), data));
        Assert.Contains("784 pixels", e.Message);
        Assert.Empty(Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void A_short_ladder_run_on_real_mnist_learns()
    {
        using var data = SmallRuns.Data(mnist, labels: 1000, unlabeled: 5000, validation: 2000);
        var recipe = new Recipe
        {
            Model = new LadderConfig(), Method = new Ladder(), Data = new(Labels: 1000),
            Run = new(Epochs: 2, StepsPerEpoch: 100, LabeledBatch: 100, UnlabeledBatch: 100, EvalBatch: 1000),
            Augmentation = new(RotationDegrees: 0, Shift: 0), Optimizer = new Adam { LearningRate = 0.002 },
        }.Validate();
        using var dir = new TempDir();
        var result = Trainer.Run(recipe, new RunDirectory(dir.Path), data);
        Assert.True(result.State.BestValidationAccuracy > 0.85, $"best validation accuracy {result.State.BestValidationAccuracy:P2}");
        var (model, _) = Checkpoint.Load(Path.Combine(dir.Path, RunDirectory.Best));
        using var _m = model;
        Assert.IsType<LadderNet>(model);
        Assert.Equal(result.State.BestValidationAccuracy, Evaluator.Evaluate(model, data.Validation, 1000).Accuracy);
    }
}
