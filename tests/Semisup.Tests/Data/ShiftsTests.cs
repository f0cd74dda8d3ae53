using Semisup.Data;
using Semisup.Models;
using Semisup.Training;
using static TorchSharp.torch;

namespace Semisup.Tests.Data;

public class ShiftsTests
{
    [Fact]
    public void A_move_takes_each_pixel_from_its_neighbour_and_fills_with_zeros()
    {
        using var x = arange(1, 10, ScalarType.Float32).reshape(1, 1, 3, 3); // 1 2 3 / 4 5 6 / 7 8 9
        using var right = Shifts.Moved(x, (0, 1));
        Assert.Equal(new float[] { 0, 1, 2, 0, 4, 5, 0, 7, 8 }, right.data<float>().ToArray());
        using var up = Shifts.Moved(x, (-1, 0));
        Assert.Equal(new float[] { 4, 5, 6, 7, 8, 9, 0, 0, 0 }, up.data<float>().ToArray());
        using var same = Shifts.Moved(x, (0, 0));
        Assert.Equal(x.data<float>().ToArray(), same.data<float>().ToArray());
    }

    [Fact]
    public void Test_time_shifts_average_the_five_views_probabilities()
    {
        manual_seed(5);
        using var net = new ConvNet(new ConvNetConfig());
        using var images = rand(7, 1, 28, 28);
        using var labels = randint(0, 10, [7]);
        using var set = new ImageSet(images.clone(), labels.clone());
        var shifted = Evaluator.Evaluate(net, set, batchSize: 3, shifted: true);
        var plain = Evaluator.Evaluate(net, set, batchSize: 3);
        // By hand: each view's probabilities, averaged.
        var views = Shifts.Moves.Select(m => { using var v = Shifts.Moved(images, m); return Evaluator.Probabilities(net, v); }).ToList();
        var mean = Evaluator.Average(views);
        Assert.Equal(mean, shifted.Probabilities, (a, b) => Math.Abs(a - b) < 1e-5);
        Assert.NotEqual(plain.Probabilities, shifted.Probabilities, (a, b) => Math.Abs(a - b) < 1e-5);
        Assert.Equal(mean, Evaluator.Probabilities(net, images, shifted: true), (a, b) => Math.Abs(a - b) < 1e-5);
    }
}
