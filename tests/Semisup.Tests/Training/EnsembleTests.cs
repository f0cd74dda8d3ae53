using Semisup.Data;
using Semisup.Training;

namespace Semisup.Tests.Training;

public class EnsembleTests
{
    // Ensemble reads only a member's probabilities and image count.
    static Evaluation Member(float[] probabilities, long[] labels) => new(0, 0, new long[labels.Length], probabilities);

    [Fact]
    public void Averaged_probabilities_can_get_right_what_each_member_gets_half_wrong()
    {
        long[] labels = [0, 2];
        // Member a is right on image 0 only, b on image 1 only; the averages are (0.45, 0.4, 0.15) and (0.1, 0.35, 0.55).
        var a = Member([0.6f, 0.3f, 0.1f, 0.1f, 0.5f, 0.4f], labels);
        var b = Member([0.3f, 0.5f, 0.2f, 0.1f, 0.2f, 0.7f], labels);
        var e = Evaluator.Ensemble([a, b], labels);
        Assert.Equal([0L, 2L], e.Predictions);
        Assert.Equal(1.0, e.Accuracy);
        Assert.Equal(0.698172348486696, e.Loss, 6); // −(ln 0.45 + ln 0.55) / 2, by Python
        Assert.Equal(0.55f, e.Probabilities[5], 6);
    }

    [Fact]
    public void A_probability_that_underflowed_to_zero_gives_a_finite_loss()
    {
        var e = Evaluator.Ensemble([Member([1f, 0f, 0f], [1])], [1]);
        Assert.Equal(0.0, e.Accuracy);
        Assert.True(double.IsFinite(e.Loss) && e.Loss > 100, $"loss {e.Loss}");
    }

    [Fact]
    public void Members_evaluated_on_different_images_are_refused()
    {
        var one = Member([0.6f, 0.3f, 0.1f], [0]);
        var two = Member([0.6f, 0.3f, 0.1f, 0.1f, 0.5f, 0.4f], [0, 1]);
        Assert.Throws<SemisupException>(() => Evaluator.Ensemble([one, two], [0]));
        Assert.Throws<SemisupException>(() => Evaluator.Ensemble([], [0]));
    }
}
