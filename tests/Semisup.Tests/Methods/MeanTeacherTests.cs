using Semisup.Data;
using Semisup.Methods;
using Semisup.Models;
using Semisup.Optim;
using static TorchSharp.torch;

namespace Semisup.Tests.Methods;

public class MeanTeacherTests
{
    [Fact]
    public void The_student_gets_gradient_the_teacher_none_and_the_teacher_moves_only_by_the_average()
    {
        manual_seed(3);
        using var student = new ConvNet(new ConvNetConfig());
        using var average = WeightAverage.Of(student, () => new ConvNet(new ConvNetConfig()), decay: 0.9);
        var optimizer = new Semisup.Optim.Adam { LearningRate = 0.01 }.Create(student.parameters());
        using var x = rand(4, 1, 28, 28);
        using var y = randint(0, 10, [4]);
        using var u = rand(6, 1, 28, 28);
        var method = new MeanTeacher(ConsistencyWeight: 10, RampUpEpochs: 0, EmaDecay: 0.9);
        // Two steps: at the first the average, capped at decay 0, equals the student; from the second it lags.
        for (long step = 0; step < 2; step++)
        {
            var loss = method.Loss(student, new Batch(x, y, u, new Progress(1, 0, 1), new Augment()) { Teacher = average.Model });
            Assert.True(loss.Unsupervised!.item<float>() > 0);
            optimizer.ZeroGrad();
            loss.Total.backward();
            Assert.All(student.parameters(), p => Assert.True(p.grad is { } g && g.abs().sum().item<float>() > 0, "every student weight gets gradient"));
            Assert.All(average.Model.parameters(), p => Assert.True(p.grad is null || p.grad.abs().sum().item<float>() == 0, "the teacher gets none"));
            var before = average.Model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
            optimizer.Step();
            average.Update(step);
            double d = Math.Min(0.9, 1.0 - 1.0 / (step + 1));
            var trained = student.state_dict();
            foreach (var (name, teacher) in average.Model.state_dict())
            {
                if (!teacher.is_floating_point()) continue;
                using var expected = before[name] * d + trained[name] * (1 - d);
                Assert.True(teacher.allclose(expected, rtol: 1e-5, atol: 1e-6), $"{name}: θ' = dθ' + (1 − d)θ");
            }
            foreach (var t in before.Values) t.Dispose();
        }
    }

    [Fact]
    public void The_consistency_weight_ramps_up_as_the_paper_does()
    {
        var m = new MeanTeacher(ConsistencyWeight: 100, RampUpEpochs: 5);
        Assert.Equal(100 * Math.Exp(-5), m.Weight(0), 10);
        Assert.Equal(100 * Math.Exp(-5 * 0.25), m.Weight(2.5), 10);
        Assert.Equal(100, m.Weight(5));
        Assert.Equal(100, m.Weight(50));
    }

    [Fact]
    public void A_recipe_keeps_one_average_and_says_when_two_disagree()
    {
        var r = Semisup.Recipes.RecipeFile.Parse("""{ "method": { "kind": "mean-teacher", "emaDecay": 0.99 } }""", "test").Validate();
        Assert.Equal(0.99, r.AverageDecay);
        var e = Assert.Throws<SemisupException>(() => Semisup.Recipes.RecipeFile.Parse("""{ "method": { "kind": "mean-teacher" }, "run": { "emaDecay": 0.9 } }""", "test").Validate());
        Assert.Contains("run.emaDecay: the mean-teacher method's teacher is the weight average", e.Message);
    }
}
