using NetArchTest.Rules;

namespace Semisup.Tests.Architecture;

/// <summary>Dependencies run one way: Cli → Reports → Training → {Methods, Optim, Export} → Models → Nn → Data. A building block
/// never knows what a recipe or a run directory is; Reports reads run directories and never loads a model.
/// Checked on the compiled assemblies (method bodies included), not on source text.</summary>
public class LayerTests
{
    const string Direction = "Cli → Reports → Training → {Methods, Optim, Export} → Models → Nn → Data";

    static readonly string[] Layers = ["Semisup.Data", "Semisup.Nn", "Semisup.Models", "Semisup.Optim", "Semisup.Methods", "Semisup.Training", "Semisup.Reports", "Semisup.Cli"];

    /// <summary>What each layer may not use: everything above it, and for the building blocks each other where the
    /// direction does not allow it.</summary>
    public static TheoryData<string, string[]> Forbidden => new()
    {
        { "Semisup.Data", Layers[1..] },
        { "Semisup.Nn", Layers[2..] },
        { "Semisup.Models", Layers[3..] },
        { "Semisup.Optim", ["Semisup.Methods", .. Layers[5..]] },
        { "Semisup.Methods", ["Semisup.Optim", .. Layers[5..]] },
        { "Semisup.Export", ["Semisup.Optim", "Semisup.Methods", .. Layers[5..]] },
        { "Semisup.Training", Layers[6..] },
        { "Semisup.Reports", ["Semisup.Cli", "Semisup.Models", "Semisup.Methods", "Semisup.Optim", "Semisup.Nn", "Semisup.Training.Checkpoint", "Semisup.Training.Evaluator", "TorchSharp"] },
    };

    [Theory]
    [MemberData(nameof(Forbidden))]
    public void A_layer_depends_only_on_the_layers_below_it(string layer, string[] forbidden)
    {
        var types = Types.InAssembly(typeof(SemisupException).Assembly).That().ResideInNamespace(layer);
        Assert.NotEmpty(types.GetTypes());
        var result = types.ShouldNot().HaveDependencyOnAny(forbidden).GetResult();
        Assert.True(result.IsSuccessful,
            $"{layer} uses {string.Join(", ", forbidden)} in {string.Join(", ", result.FailingTypeNames ?? [])}; dependencies run {Direction}.");
    }

    [Fact]
    public void The_rule_catches_a_forbidden_dependency()
    {
        // Training does use the building blocks: the same check, turned around, must see it.
        var result = Types.InAssembly(typeof(SemisupException).Assembly).That().ResideInNamespace("Semisup.Training")
            .ShouldNot().HaveDependencyOnAny("Semisup.Models").GetResult();
        Assert.False(result.IsSuccessful);
    }
}
