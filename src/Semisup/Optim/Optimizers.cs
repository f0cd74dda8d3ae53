using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Semisup.Optim;

/// <summary>What the trainer needs of an optimiser: a learning rate the schedule sets each epoch, a hook before the
/// gradient is computed (Nesterov's look-ahead), the update, and state a checkpoint can carry.</summary>
public interface IOptimizer : IDisposable
{
    double LearningRate { set; }
    void BeforeGradient();
    void ZeroGrad();
    void Step();
    void Save(BinaryWriter writer);
    void Load(BinaryReader reader);

    /// <summary>The state the optimizer carries between steps (moments, velocities), for checks such as finiteness.</summary>
    IEnumerable<Tensor> State();
}

/// <summary>An optimizer's options (lab section 2.1); each update rule has its own record.</summary>
public abstract record OptimizerOptions
{
    public double LearningRate { get; init; } = 1e-3;

    /// <summary>L2 penalty: weightDecay·θ added to every parameter's gradient before the update (coupled, as PyTorch's
    /// optimisers' weight_decay). The lab's code passed 1e-4 to Adam; its write-up does not say so. 0 turns it off.</summary>
    public double WeightDecay { get; init; }

    /// <summary>Copies of the weights the optimizer keeps as state (for the memory check).</summary>
    public abstract int StateCopies { get; }

    public abstract IOptimizer Create(IEnumerable<Parameter> parameters);

    public virtual IEnumerable<string> Problems()
    {
        if (!(LearningRate > 0)) yield return $"learningRate: {LearningRate} must be positive";
        if (WeightDecay < 0) yield return $"weightDecay: {WeightDecay} must not be negative (0 turns it off)";
    }
}

/// <summary>libtorch's Adam (Kingma and Ba 2015), the lab's final choice.</summary>
public sealed record Adam : OptimizerOptions
{
    public double Beta1 { get; init; } = 0.9;
    public double Beta2 { get; init; } = 0.999;
    public override int StateCopies => 2;

    public override IOptimizer Create(IEnumerable<Parameter> parameters) =>
        new AdamOptimizer(optim.Adam(parameters, LearningRate, Beta1, Beta2, weight_decay: WeightDecay));

    public override IEnumerable<string> Problems() => base.Problems().Concat(
        Beta1 is < 0 or >= 1 || Beta2 is < 0 or >= 1 ? [$"beta1, beta2: {Beta1} and {Beta2} must be in [0, 1)"] : []);

    sealed class AdamOptimizer(TorchSharp.Modules.Adam adam) : IOptimizer
    {
        public double LearningRate { set { foreach (var group in adam.ParamGroups) group.LearningRate = value; } }
        public void BeforeGradient() { }
        public void ZeroGrad() => adam.zero_grad();
        public void Step() => adam.step();
        public void Save(BinaryWriter writer) => adam.save_state_dict(writer);
        public void Load(BinaryReader reader) => adam.load_state_dict(reader);
        public IEnumerable<Tensor> State() => adam.state_dict().State.OfType<TorchSharp.Modules.Adam.State>()
            .SelectMany(s => new[] { s.exp_avg, s.exp_avg_sq, s.max_exp_avg_sq }.Where(t => t is not null));
        public void Dispose() => (adam as IDisposable)?.Dispose();
    }
}

/// <summary>Plain gradient descent, θ ← θ − η∇.</summary>
public sealed record Sgd : OptimizerOptions
{
    // LabSgd allocates its velocity for every rule.
    public override int StateCopies => 1;
    public override IOptimizer Create(IEnumerable<Parameter> parameters) => new LabSgd(parameters, LearningRate, UpdateRule.Sgd, weightDecay: WeightDecay);
}

/// <summary>Classical momentum: v ← μv − η∇, θ ← θ + v.</summary>
public sealed record Momentum : OptimizerOptions
{
    /// <summary>μ.</summary>
    public double Mu { get; init; } = 0.9;
    public override int StateCopies => 1;
    public override IOptimizer Create(IEnumerable<Parameter> parameters) => new LabSgd(parameters, LearningRate, UpdateRule.Momentum, Mu, WeightDecay);
    public override IEnumerable<string> Problems() => base.Problems().Concat(Mu is < 0 or >= 1 ? [$"mu: {Mu} must be in [0, 1)"] : []);
}

/// <summary>Nesterov's accelerated gradient: the gradient taken at θ + μv.</summary>
public sealed record Nesterov : OptimizerOptions
{
    /// <summary>μ.</summary>
    public double Mu { get; init; } = 0.9;
    public override int StateCopies => 1;
    public override IOptimizer Create(IEnumerable<Parameter> parameters) => new LabSgd(parameters, LearningRate, UpdateRule.Nesterov, Mu, WeightDecay);
    public override IEnumerable<string> Problems() => base.Problems().Concat(Mu is < 0 or >= 1 ? [$"mu: {Mu} must be in [0, 1)"] : []);
}
