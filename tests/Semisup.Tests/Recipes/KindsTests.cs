using System.Text.Json;
using Semisup.Data;
using Semisup.Methods;
using Semisup.Models;
using Semisup.Optim;

namespace Semisup.Tests.Recipes;

public class KindsTests
{
    static readonly Type[] Varying = [typeof(ModelOptions), typeof(IMethod), typeof(OptimizerOptions), typeof(Schedule)];

    /// <summary>Every record a block can hold has its kind: one added without it could not be written to a recipe.</summary>
    [Fact]
    public void Every_model_method_optimizer_and_schedule_has_a_kind()
    {
        var records = typeof(SemisupException).Assembly.GetTypes()
            .Where(t => !t.IsAbstract && !t.IsInterface && Varying.Any(v => v.IsAssignableFrom(t))).ToList();
        Assert.True(records.Count >= 18, $"found {records.Count}");
        foreach (var t in records) Assert.False(string.IsNullOrEmpty(Kinds.Of(System.Runtime.CompilerServices.RuntimeHelpers.GetUninitializedObject(t))), t.Name);
        Assert.Equal(records.Count, records.Select(t => Kinds.Of(System.Runtime.CompilerServices.RuntimeHelpers.GetUninitializedObject(t))).Distinct().Count());
        Assert.Throws<ArgumentException>(() => Kinds.Of(new Augment()));
    }

    [Fact]
    public void Each_kind_is_written_first_and_read_back_to_its_record()
    {
        var recipe = new Recipe { Model = new GapNetConfig(), Method = new MeanTeacher(), Optimizer = new Nesterov { Mu = 0.8 }, Schedule = new Cosine() };
        var json = recipe.ToJson();
        using var doc = JsonDocument.Parse(json);
        foreach (var (block, kind) in new[] { ("model", "gap"), ("method", "mean-teacher"), ("optimizer", "nesterov"), ("schedule", "cosine") })
            Assert.Equal(("kind", kind), (doc.RootElement.GetProperty(block).EnumerateObject().First().Name, doc.RootElement.GetProperty(block).GetProperty("kind").GetString()));
        Assert.Equal(json, RecipeFile.Parse(json, "test").ToJson());
        Assert.Equal(recipe.Optimizer, RecipeFile.Parse(json, "test").Optimizer);
    }

    /// <summary>The dataset decides a network's input and classes, and a record's computed values (a conv net's
    /// channels, a count of parameters) are no keys: neither is written, and a file that gives one is refused.</summary>
    [Theory]
    [InlineData("channels")]
    [InlineData("classes")]
    [InlineData("convChannels")]
    [InlineData("parameters")]
    public void A_models_shape_and_computed_values_are_not_keys(string key)
    {
        Assert.DoesNotContain($"\"{key}\"", new Recipe().ToJson());
        var e = Assert.Throws<SemisupException>(() => RecipeFile.Parse($$"""{ "model": { "kind": "conv", "{{key}}": 3 } }""", "test"));
        Assert.Contains($"model.{key}: model of kind 'conv' has no such key", e.Message);
    }
}
