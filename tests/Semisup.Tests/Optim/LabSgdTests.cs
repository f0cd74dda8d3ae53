using Semisup.Optim;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Semisup.Tests.Optim;

public class LabSgdTests
{
    // f(θ) = ½ (2 θ₀² + θ₁²), so ∇f(θ) = (2 θ₀, θ₁).
    static double[] Grad(double[] t) => [2 * t[0], t[1]];

    static Tensor F(Parameter p) => (p[0].pow(2) * 2 + p[1].pow(2)) / 2;

    static double[] Run(UpdateRule rule, int steps, double lr = 0.1, double mu = 0.9)
    {
        var p = new Parameter(tensor(new[] { 1.0, -2.0 }));
        var opt = new LabSgd([p], lr, rule, mu);
        for (int i = 0; i < steps; i++)
        {
            opt.LookAhead();
            opt.ZeroGrad();
            F(p).backward();
            opt.Step();
        }
        return p.data<double>().ToArray();
    }

    [Fact]
    public void Sgd_momentum_and_nesterov_match_updates_computed_by_hand()
    {
        double[] theta = [1, -2], v = [0, 0];
        double lr = 0.1, mu = 0.9;
        // SGD, two steps: θ ← θ − ε∇f(θ)
        double[] s = [.. theta];
        for (int k = 0; k < 2; k++) { var g = Grad(s); s = [s[0] - lr * g[0], s[1] - lr * g[1]]; }
        Assert.Equal(s, Run(UpdateRule.Sgd, 2), (a, b) => Math.Abs(a - b) < 1e-12);

        // Momentum, three steps: v ← μv − ε∇f(θ); θ ← θ + v
        double[] m = [.. theta], mv = [.. v];
        for (int k = 0; k < 3; k++) { var g = Grad(m); mv = [mu * mv[0] - lr * g[0], mu * mv[1] - lr * g[1]]; m = [m[0] + mv[0], m[1] + mv[1]]; }
        Assert.Equal(m, Run(UpdateRule.Momentum, 3), (a, b) => Math.Abs(a - b) < 1e-12);

        // Nesterov, three steps: v ← μv − ε∇f(θ + μv); θ ← θ + v
        double[] n = [.. theta], nv = [.. v];
        for (int k = 0; k < 3; k++)
        {
            var g = Grad([n[0] + mu * nv[0], n[1] + mu * nv[1]]);
            nv = [mu * nv[0] - lr * g[0], mu * nv[1] - lr * g[1]];
            n = [n[0] + nv[0], n[1] + nv[1]];
        }
        Assert.Equal(n, Run(UpdateRule.Nesterov, 3), (a, b) => Math.Abs(a - b) < 1e-12);
        Assert.NotEqual(m, n); // the look-ahead changes the path
    }

    [Fact]
    public void Nesterov_in_the_labs_form_equals_the_reformulated_one_at_constant_learning_rate()
    {
        // Reformulated (Sutskever et al. 2013; what libtorch's SGD(nesterov) implements): parameters Θ = θ + μv,
        // updated with the gradient at Θ itself. libtorch keeps b with v = −ε b.
        var ours = new Parameter(tensor(new[] { 1.0, -2.0 }));
        var theirs = new Parameter(tensor(new[] { 1.0, -2.0 }));
        var lab = new LabSgd([ours], 0.05, UpdateRule.Nesterov, 0.8);
        var reformulated = optim.SGD([theirs], 0.05, momentum: 0.8, nesterov: true);
        for (int k = 0; k < 20; k++)
        {
            lab.LookAhead();
            lab.ZeroGrad();
            F(ours).backward();
            lab.Step();
            reformulated.zero_grad();
            F(theirs).backward();
            reformulated.step();
        }
        // After a step the lab's θ and the reformulated Θ differ by μv; compare the points where gradients are taken.
        lab.LookAhead();
        Assert.True(ours.allclose(theirs, rtol: 1e-9, atol: 1e-12), $"{ours.data<double>()[0]} vs {theirs.data<double>()[0]}");
    }

    [Fact]
    public void Invalid_settings_are_rejected()
    {
        var p = new Parameter(zeros(2));
        Assert.Throws<SemisupException>(() => new LabSgd([p], 0.1, UpdateRule.Momentum, -0.5));
        Assert.Throws<SemisupException>(() => new LabSgd([p], 0, UpdateRule.Sgd));
        var nesterov = new LabSgd([p], 0.1, UpdateRule.Nesterov);
        Assert.Throws<InvalidOperationException>(() => nesterov.Step());
    }

    [Fact]
    public void Saved_velocities_continue_the_same_trajectory()
    {
        var p = new Parameter(tensor(new[] { 1.0f, -2.0f }));
        var opt = new LabSgd([p], 0.1, UpdateRule.Momentum);
        void Step(LabSgd o, Parameter q) { o.ZeroGrad(); F(q).backward(); o.Step(); }
        for (int i = 0; i < 3; i++) Step(opt, p);
        using var buffer = new MemoryStream();
        opt.Save(new BinaryWriter(buffer));

        var q = new Parameter(p.detach().clone());
        var restored = new LabSgd([q], 0.1, UpdateRule.Momentum);
        buffer.Position = 0;
        restored.Load(new BinaryReader(buffer));
        Step(opt, p);
        Step(restored, q);
        Assert.Equal(p.data<float>().ToArray(), q.data<float>().ToArray());
        // Without the velocity, the next step would differ: the state is what carries momentum.
        var fresh = new Parameter(q.detach().clone());
        Step(new LabSgd([fresh], 0.1, UpdateRule.Momentum), fresh);
        Step(restored, q);
        Assert.NotEqual(fresh.data<float>().ToArray(), q.data<float>().ToArray());
        Assert.Throws<InvalidOperationException>(() => { buffer.Position = 0; new LabSgd([p, q], 0.1, UpdateRule.Momentum).Load(new BinaryReader(buffer)); });
    }

    [Theory]
    [InlineData("adam", typeof(Semisup.Optim.Adam))]
    [InlineData("sgd", typeof(Sgd))]
    [InlineData("nesterov", typeof(Nesterov))]
    public void Recipes_name_their_optimizer(string name, Type type)
    {
        Assert.IsType(type, Semisup.Recipes.RecipeFile.Parse("{}", "test", [$"optimizer.kind={name}"]).Optimizer);
        Assert.Contains("optimizer.kind: 'rmsprop' is not one of adam, sgd, momentum, nesterov",
            Assert.Throws<SemisupException>(() => Semisup.Recipes.RecipeFile.Parse("{}", "test", ["optimizer.kind=rmsprop"])).Message);
    }

    [Theory]
    [InlineData("adam")]
    [InlineData("sgd")]
    [InlineData("momentum")]
    [InlineData("nesterov")]
    public void Weight_decay_adds_lambda_theta_to_the_gradient(string name)
    {
        double[] Step(double weightDecay)
        {
            var p = new Parameter(tensor(new[] { 1.0, -2.0 }));
            using var opt = Semisup.Recipes.RecipeFile.Parse("{}", "test", [$"optimizer.kind={name}", "optimizer.learningRate=0.1", $"optimizer.weightDecay={weightDecay.ToString(System.Globalization.CultureInfo.InvariantCulture)}"]).Optimizer.Create([p]);
            opt.BeforeGradient();
            opt.ZeroGrad();
            (p.sum() * 0).backward(); // the loss's own gradient is 0: whatever moves θ is the decay
            opt.Step();
            return p.data<double>().ToArray();
        }
        Assert.Equal([1.0, -2.0], Step(0));
        // From zero state, one step with gradient λθ: SGD and both momenta move by −ε·λθ; Adam's first step is
        // −ε·m̂/√v̂ = −ε·sign(λθ).
        double[] expected = name == "adam" ? [0.9, -1.9] : [1 - 0.1 * 0.5 * 1, -2 - 0.1 * 0.5 * -2];
        Assert.Equal(expected, Step(0.5), (a, b) => Math.Abs(a - b) < 1e-6);
        Assert.Contains("optimizer.weightDecay: -0.0001 must not be negative", Assert.Throws<SemisupException>(() => new Semisup.Recipes.Recipe { Optimizer = new Semisup.Optim.Adam { WeightDecay = -1e-4 } }.Validate()).Message);
    }
}
