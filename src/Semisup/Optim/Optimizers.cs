using Semisup.Training;
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
}

public static class Optimizers
{
    public static readonly string[] Names = ["adam", "sgd", "momentum", "nesterov"];

    /// <summary>Copies of the weights an optimizer keeps: Adam's two moments; LabSgd's velocity, which plain SGD allocates too.</summary>
    public static int StateCopies(string optimizer) => optimizer == "adam" ? 2 : 1;

    public static IOptimizer Create(IEnumerable<Parameter> parameters, Recipe recipe) => recipe.Optimizer switch
    {
        "adam" => new AdamOptimizer(optim.Adam(parameters, recipe.LearningRate, recipe.Beta1, recipe.Beta2, weight_decay: recipe.WeightDecay)),
        "sgd" => new LabSgd(parameters, recipe.LearningRate, UpdateRule.Sgd, weightDecay: recipe.WeightDecay),
        "momentum" => new LabSgd(parameters, recipe.LearningRate, UpdateRule.Momentum, recipe.Momentum, recipe.WeightDecay),
        "nesterov" => new LabSgd(parameters, recipe.LearningRate, UpdateRule.Nesterov, recipe.Momentum, recipe.WeightDecay),
        _ => throw new SemisupException($"Unknown optimizer '{recipe.Optimizer}'. Known optimizers: {string.Join(", ", Names)}."),
    };

    /// <summary>libtorch's Adam (Kingma and Ba 2015), the lab's final choice.</summary>
    sealed class AdamOptimizer(OptimizerHelper adam) : IOptimizer
    {
        public double LearningRate { set { foreach (var group in adam.ParamGroups) group.LearningRate = value; } }
        public void BeforeGradient() { }
        public void ZeroGrad() => adam.zero_grad();
        public void Step() => adam.step();
        public void Save(BinaryWriter writer) => adam.save_state_dict(writer);
        public void Load(BinaryReader reader) => adam.load_state_dict(reader);
        public void Dispose() => (adam as IDisposable)?.Dispose();
    }
}
