using Semisup.Data;
using Semisup.Methods;
using Semisup.Models;
using static TorchSharp.torch;

namespace Semisup.Tests.Methods;

public class VirtualAdversarialTests
{
    static readonly Augment Identity = new(RotationDegrees: 0, Shift: 0) { Strong = new Augment(RotationDegrees: 0, Shift: 0) };

    [Fact]
    public void The_perturbation_is_one_power_iteration_of_the_divergences_hessian()
    {
        // Linear logits z = W x: the Hessian of KL(p(x) ‖ p(x + r)) at r = 0 is H = Wᵀ (diag p − p pᵀ) W, so the
        // gradient at r = ξ d is ξ H d + O(ξ²), and r_adv = ε H d / ‖H d‖.
        var generator = new Generator(3);
        var w = randn(3, 4, dtype: ScalarType.Float64, generator: generator);
        var model = new LinearClassifier(w);
        var x = randn(2, 1, 1, 4, dtype: ScalarType.Float64, generator: generator);
        var d = randn(2, 1, 1, 4, dtype: ScalarType.Float64, generator: generator);
        var r = VirtualAdversarial.Perturbation(model, x, radius: 1.5, xi: 1e-6, start: d);
        for (int i = 0; i < 2; i++)
        {
            var p = nn.functional.softmax(x[i].flatten().matmul(w.t()), 0);
            var h = w.t().matmul(diag(p) - p.outer(p)).matmul(w);
            var hd = h.matmul(d[i].flatten());
            var expected = 1.5 * hd / hd.norm();
            Assert.True(r[i].flatten().allclose(expected, rtol: 1e-4, atol: 1e-6), $"image {i}: {string.Join(", ", r[i].flatten().data<double>().ToArray())} against {string.Join(", ", expected.data<double>().ToArray())}");
        }
        Assert.Null(model.Weight.grad);
    }

    [Fact]
    public void The_term_adds_its_weight_times_the_divergence_at_the_perturbed_weak_view_whose_target_is_a_constant()
    {
        // One pixel, two classes, logits (x, −x): r_adv = ±ε whatever d is. With two pixels the direction was exact only
        // in theory; a draw of d nearly orthogonal to (1, −1) left float32 rounding a sideways part that moved the gradient.
        var model = new LinearClassifier(tensor(new float[] { 1, -1 }).reshape(2, 1));
        var x = tensor(new float[] { 1 }).reshape(1, 1, 1, 1);
        var y = tensor(new long[] { 0 });
        var u = tensor(new float[] { -2, 0.125f }).reshape(2, 1, 1, 1);
        model.train();
        var plain = new FixMatch(Threshold: 0.9).Loss(model, new Batch(x, y, u, new Progress(1, 0, 1), Identity));
        plain.Total.backward();
        var plainGrad = model.Weight.grad!.clone();
        model.zero_grad();
        var with = new FixMatch(Threshold: 0.9, VirtualAdversarialWeight: 0.5, VirtualAdversarialRadius: 1)
            .Loss(model, new Batch(x, y, u, new Progress(1, 0, 1), Identity));
        Assert.True(model.training, "the probe passes put the model back in training mode");
        with.Total.backward();
        var extra = (model.Weight.grad! - plainGrad).to_type(ScalarType.Float64);

        // For signs s: the term 0.5 · mean_i KL(p_i ‖ q_i), q_i = softmax(W (u_i + s_i)); with p_i a constant, its
        // gradient in W is 0.5 · mean_i (q_i − p_i)(u_i + s_i). Were p_i not detached, p's own gradient would add to it.
        double[] images = [-2, 0.125];
        (double Value, double[,] Grad) Candidate(double[] signs)
        {
            double value = 0;
            var grad = new double[2, 1];
            for (int i = 0; i < 2; i++)
            {
                double moved = images[i] + signs[i];
                double p0 = 1 / (1 + Math.Exp(-2 * images[i])), q0 = 1 / (1 + Math.Exp(-2 * moved));
                double[] p = [p0, 1 - p0], q = [q0, 1 - q0];
                value += 0.5 * (p[0] * Math.Log(p[0] / q[0]) + p[1] * Math.Log(p[1] / q[1])) / 2;
                for (int c = 0; c < 2; c++) grad[c, 0] += 0.5 * (q[c] - p[c]) * moved / 2;
            }
            return (value, grad);
        }
        var candidates = (from s0 in new[] { -1.0, 1.0 } from s1 in new[] { -1.0, 1.0 } select Candidate([s0, s1])).ToList();
        double term = with.Total.item<float>() - plain.Total.item<float>();
        var match = candidates.Where(c => Math.Abs(c.Value - term) < 1e-5).ToList();
        Assert.True(match.Count == 1, $"{term} is none of {string.Join(", ", candidates.Select(c => c.Value))}");
        // float32 against float64: about 2e-5 apart; the four candidates differ by 1.5e-3 or more.
        var expected = tensor(match[0].Grad.Cast<double>().ToArray()).reshape(2, 1);
        Assert.True(extra.allclose(expected, rtol: 1e-3, atol: 1e-4), $"the term's gradient {string.Join(", ", extra.data<double>().ToArray())}");
    }

    [Fact]
    public void The_probe_leaves_batch_norms_statistics_alone_and_draws_no_dropout()
    {
        var net = new ConvNet(new ConvNetConfig(NoiseStd: 0));
        net.train();
        var images = rand(4, 1, 28, 28, generator: new Generator(5));
        var start = randn(4, 1, 28, 28, generator: new Generator(6));
        var before = net.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        var first = VirtualAdversarial.Perturbation(net, images, radius: 2, start: start);
        var second = VirtualAdversarial.Perturbation(net, images, radius: 2, start: start);
        Assert.True(net.training);
        foreach (var (name, value) in net.state_dict()) Assert.True(value.equal(before[name]).all().item<bool>(), $"{name} changed");
        // Dropout (0.5 by default) would draw other masks in the second probe; evaluation mode draws none.
        Assert.True(first.equal(second).all().item<bool>(), "the probe is deterministic");
        // ε each, up to the 1e-12 that keeps a vanishing g finite (g is about 1e-8 here, at initialisation).
        foreach (var norm in first.flatten(1).pow(2).sum(1).sqrt().data<float>().ToArray()) Assert.InRange(norm, 1.995, 2.0001);
    }

    [Fact]
    public void A_recipe_with_the_term_gives_a_weight_and_a_radius_that_can_work()
    {
        Assert.Contains("virtualAdversarialRadius: 0 must be above 0", new FixMatch(VirtualAdversarialRadius: 0).Problems());
        Assert.Contains("virtualAdversarialWeight: -1 must not be negative", new FixMatch(VirtualAdversarialWeight: -1).Problems());
        Assert.Empty(new FixMatch(VirtualAdversarialWeight: 1).Problems());
    }
}
