using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Semisup.Optim;

public enum UpdateRule { Sgd, Momentum, Nesterov }

/// <summary>Gradient descent in the lab's three forms (section 2.1), for use with any learning-rate schedule:
/// plain SGD, classical momentum, and Nesterov's accelerated gradient with the gradient taken at θ + μv.
/// Nesterov needs the caller to call <see cref="LookAhead"/> before computing the gradient. A weight decay adds the
/// gradient of (weightDecay/2)·‖θ‖² where the gradient is taken.</summary>
public sealed class LabSgd : IOptimizer
{
    readonly Parameter[] parameters;
    readonly Tensor[] velocity;
    public UpdateRule Rule { get; }
    public double Momentum { get; }
    public double WeightDecay { get; }
    public double LearningRate { get; set; }
    bool lookedAhead;

    public LabSgd(IEnumerable<Parameter> parameters, double learningRate, UpdateRule rule, double momentum = 0.9, double weightDecay = 0)
    {
        if (weightDecay < 0 || !double.IsFinite(weightDecay)) throw new SemisupException($"weight decay {weightDecay}: must be finite and not negative.");
        if (learningRate <= 0) throw new SemisupException($"learning rate {learningRate}: must be positive.");
        if (rule != UpdateRule.Sgd && momentum is < 0 or >= 1) throw new SemisupException($"momentum {momentum}: must be in [0, 1).");
        this.parameters = parameters.ToArray();
        velocity = this.parameters.Select(p => zeros_like(p).DetachFromDisposeScope()).ToArray();
        (LearningRate, Rule, Momentum, WeightDecay) = (learningRate, rule, momentum, weightDecay);
    }

    void IOptimizer.BeforeGradient() => LookAhead();

    /// <summary>Nesterov only: moves θ to θ + μv, where the next gradient is to be taken.</summary>
    public void LookAhead()
    {
        if (Rule != UpdateRule.Nesterov) return;
        using var _ = no_grad();
        for (int i = 0; i < parameters.Length; i++) parameters[i].add_(velocity[i], alpha: Momentum);
        lookedAhead = true;
    }

    public void Step()
    {
        if (Rule == UpdateRule.Nesterov && !lookedAhead)
            throw new InvalidOperationException("Nesterov's update needs LookAhead() before the gradient is computed.");
        using var _ = no_grad();
        for (int i = 0; i < parameters.Length; i++)
        {
            var (theta, v) = (parameters[i], velocity[i]);
            var g = theta.grad ?? throw new InvalidOperationException("a parameter has no gradient; call backward() first");
            using var decayed = WeightDecay > 0 ? g.add(theta, alpha: WeightDecay) : null; // ∇f(θ) + λθ
            if (decayed is not null) g = decayed;
            switch (Rule)
            {
                case UpdateRule.Sgd:
                    theta.add_(g, alpha: -LearningRate); // θ ← θ − ε∇f(θ)
                    break;
                case UpdateRule.Momentum:
                    v.mul_(Momentum).add_(g, alpha: -LearningRate); // v ← μv − ε∇f(θ)
                    theta.add_(v); // θ ← θ + v
                    break;
                case UpdateRule.Nesterov:
                    theta.add_(v, alpha: -Momentum); // back from θ + μv to θ
                    v.mul_(Momentum).add_(g, alpha: -LearningRate); // v ← μv − ε∇f(θ + μv)
                    theta.add_(v); // θ ← θ + v
                    break;
            }
        }
        lookedAhead = false;
    }

    public void ZeroGrad()
    {
        foreach (var p in parameters) p.grad?.zero_();
    }

    /// <summary>The velocities, as float32 values in parameter order.</summary>
    public void Save(BinaryWriter writer)
    {
        writer.Write(velocity.Length);
        foreach (var v in velocity)
        {
            var values = v.data<float>().ToArray();
            writer.Write(values.Length);
            foreach (var x in values) writer.Write(x);
        }
    }

    public void Load(BinaryReader reader)
    {
        if (reader.ReadInt32() != velocity.Length) throw new InvalidOperationException("the saved optimizer state is for another model");
        foreach (var v in velocity)
        {
            int n = reader.ReadInt32();
            if (n != v.numel()) throw new InvalidOperationException("the saved optimizer state is for another model");
            var values = new float[n];
            for (int i = 0; i < n; i++) values[i] = reader.ReadSingle();
            using var saved = tensor(values).reshape(v.shape);
            using var _ = no_grad();
            v.copy_(saved);
        }
    }

    public IEnumerable<Tensor> State() => velocity;

    public void Dispose()
    {
        foreach (var v in velocity) v.Dispose();
    }
}
